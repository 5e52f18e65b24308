import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes the tensors of a conversion back into an `.npz` checkpoint, each under its Flax key
/// and in its Flax shape, in the export's dtype (bfloat16 as `<V2`, as JAX saves it), members
/// stored in the order they come (the natural order of their keys: `NpzFormat.ordersByFlaxKey`),
/// as `np.savez` writes them.
final class NpzExportWriter: ExportWriter {
  let totalBytes: Int
  private(set) var bytesWritten = 0
  private let request: ExportWriteRequest
  private let writer: NpzWriter
  private var next = 0
  private var checksums: [String: String] = [:]

  init(_ request: ExportWriteRequest) throws {
    self.request = request
    totalBytes = request.totalBytes
    writer = try NpzWriter(path: request.path, compression: .stored, replacing: request.replacing)
  }

  func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    precondition(
      next < request.tensors.count && request.tensors[next].name == name,
      "tensors must be written in the planned order")
    let tensor = request.tensors[next]
    var crc: UInt32 = 0
    try writer.add(key: tensor.flax.key, dtype: request.dtype, shape: tensor.flax.shape) { sink in
      try withoutActuallyEscaping(sink) { sink in
        try produce { chunk in
          crc = CRC32C.checksum(chunk, continuing: crc)
          self.bytesWritten += chunk.count
          try sink(chunk)
        }
      }
    }
    checksums[name] = CRC32C.hex(crc)
    next += 1
  }

  func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport {
    precondition(next == request.tensors.count, "npz closed with tensors unwritten")
    _ = try header(checksums)
    let identity = try writer.finish { try beforeCommit(StagedFiles(path: $0)) }
    return WrittenExport(storage: "in npz", files: [(request.path as NSString).lastPathComponent], identity: identity)
  }
}
