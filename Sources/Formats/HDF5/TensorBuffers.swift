/// Tensor bytes held in memory by name, 64-byte aligned, freed with the owner.
final class TensorBuffers {
  private var buffers: [String: UnsafeMutableRawBufferPointer] = [:]

  /// A new buffer of exactly `count` bytes for `name`.
  func allocate(_ name: String, count: Int) -> UnsafeMutableRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    buffers[name] = buffer
    return buffer
  }

  /// The bytes of `name`, while this object lives.
  subscript(name: String) -> UnsafeRawBufferPointer? { buffers[name].map { UnsafeRawBufferPointer($0) } }

  deinit { for buffer in buffers.values { buffer.deallocate() } }
}
