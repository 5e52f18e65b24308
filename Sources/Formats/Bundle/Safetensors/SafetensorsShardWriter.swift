import Checkpoint
import FileIO
import Graph

/// Writes one safetensors file whose tensors are known in advance, streaming their bytes.
///
/// The header (with every offset) is written first; tensors follow contiguously in the given
/// order, each element-aligned because the header is padded to 8 bytes and each shard holds
/// one dtype. Each tensor's CRC-32C is computed while writing, the file's SHA-256 on another
/// thread at the same time (by the file's writer, from the buffers it writes).
final class SafetensorsShardWriter {
  let fileName: String
  private let file: FileWriter
  private let entries: [SafetensorsEntry]
  private var next = 0
  private var written = 0
  private var tensorCRC: UInt32 = 0
  /// CRC-32C of every completed tensor.
  private(set) var checksums: [String: UInt32] = [:]

  /// Creates the shard `fileName` in the folder `output` is writing, writing the header
  /// (`metadata` goes into `__metadata__`).
  init(
    in output: AtomicOutput, fileName: String, tensors: [(name: String, dtype: DType, shape: [Int])],
    metadata: [String: String] = [:]
  ) throws {
    self.fileName = fileName
    var offset = 0
    entries = tensors.map { tensor in
      let bytes = tensor.shape.reduce(1, *) * tensor.dtype.itemSize
      defer { offset += bytes }
      return SafetensorsEntry(
        name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, begin: offset, end: offset + bytes)
    }
    // Written once, start to end, and read by nobody before the commit: past the page cache.
    file = try output.createFile(fileName, bypassingPageCache: true, hashing: true)
    try file.write(SafetensorsHeader.encode(entries, metadata: metadata))
    completeFinishedTensors()
  }

  /// Whether every tensor has been written.
  var isComplete: Bool { next == entries.count }

  /// Appends bytes of the current tensor.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    precondition(
      next < entries.count && written + bytes.count <= entries[next].end,
      "\(fileName): more data than tensor '\(next < entries.count ? entries[next].name : "-")' holds")
    tensorCRC = CRC32C.checksum(bytes, continuing: tensorCRC)
    try file.write(bytes)
    written += bytes.count
    completeFinishedTensors()
  }

  private func completeFinishedTensors() {
    while next < entries.count, written == entries[next].end {
      checksums[entries[next].name] = tensorCRC
      tensorCRC = 0
      next += 1
    }
  }

  /// Flushes, syncs and returns the shard's description.
  func finish() throws -> Shard {
    precondition(isComplete, "\(fileName): closed with tensors unwritten")
    try file.synchronize()
    return Shard(file: fileName, bytes: file.offset, sha256: try file.sha256())
  }
}
