import Foundation

/// The bytes of an opened archive, read at any offset: the file through a descriptor of its
/// own (`pread`), or the copy held in memory.
enum ArchiveBytes {
  case file(descriptor: Int32)
  case memory(UnsafeRawBufferPointer)

  /// Reads up to `buffer.count` bytes at `offset`: how many were read, 0 past the end, or -1
  /// with `errno` set.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    switch self {
    case .file(let descriptor):
      while true {
        let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
        if n < 0, errno == EINTR { continue }
        return n
      }
    case .memory(let bytes):
      guard offset >= 0, offset < bytes.count else { return 0 }
      let n = min(buffer.count, bytes.count - offset)
      buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
      return n
    }
  }

  /// Exactly `count` bytes at `offset`, or nil when they cannot all be read.
  func bytes(at offset: Int, count: Int) -> [UInt8]? {
    guard offset >= 0, count >= 0, offset <= Int.max - count else { return nil }
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = bytes.withUnsafeMutableBytes {
        read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]), at: offset + filled)
      }
      guard n > 0 else { return nil }
      filled += n
    }
    return bytes
  }
}
