import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes a bundle folder (formats/bundle-v1.md): safetensors shards streamed one tensor at a
/// time, then `model.safetensors.index.json` and `graph.json`.
///
/// Everything goes into a temporary sibling folder that ``finish(graph:)`` renames into place;
/// if anything fails first, or the process is interrupted, no output folder is left behind.
public final class BundleWriter: ExportWriter {
  /// Element type of every tensor.
  public let dtype: DType
  /// Bytes of tensor data in the whole bundle.
  public let totalBytes: Int
  /// Bytes of tensor data written so far.
  public private(set) var bytesWritten = 0
  private let output: AtomicOutput
  private let tensors: [ExportTensor]
  private let shardRanges: [Range<Int>]
  private var next = 0
  private var shard: SafetensorsShardWriter?
  private var shardIndex = -1
  private var shards: [Shard] = []
  private var shardOf: [String: String] = [:]
  private var checksums: [String: String] = [:]

  /// Prepares the output folder and the shard plan.
  ///
  /// - Parameters:
  ///   - path: the bundle folder to create.
  ///   - dtype: element type of every tensor (`float32`, `float16` or `bfloat16`).
  ///   - tensors: every tensor, in the order they will be written.
  ///   - shardSize: largest number of data bytes per shard.
  ///   - replacing: allow an existing folder to be replaced.
  public init(path: String, dtype: DType, tensors: [ExportTensor], shardSize: Int, replacing: Bool) throws {
    self.dtype = dtype
    self.tensors = tensors
    let sizes = tensors.map { $0.shape.reduce(1, *) * dtype.itemSize }
    totalBytes = sizes.reduce(0, +)
    shardRanges = BundleLayout.shards(sizes: sizes, limit: shardSize)
    output = try AtomicOutput(finalPath: path, isDirectory: true, replacing: replacing)
  }

  public func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void)
    throws
  {
    precondition(next < tensors.count && tensors[next].name == name, "tensors must be written in the planned order")
    if shard == nil || !shardRanges[shardIndex].contains(next) { try openNextShard() }
    let writer = shard!
    try produce { bytes in
      try writer.write(bytes)
      self.bytesWritten += bytes.count
    }
    next += 1
    if next == shardRanges[shardIndex].upperBound { try closeShard() }
  }

  private func openNextShard() throws {
    shardIndex += 1
    let range = shardRanges[shardIndex]
    let name = BundleLayout.shardName(shardIndex + 1, of: shardRanges.count)
    shard = try SafetensorsShardWriter(
      path: output.temporaryPath(of: name), fileName: name,
      tensors: tensors[range].map { ($0.name, dtype, $0.shape) })
  }

  private func closeShard() throws {
    guard let writer = shard else { return }
    shards.append(try writer.finish())
    for (name, crc) in writer.checksums {
      shardOf[name] = writer.fileName
      checksums[name] = CRC32C.hex(crc)
    }
    shard = nil
  }

  /// Writes the index and the graph document and moves the bundle into place.
  public func finish(graph: (WrittenTensors) throws -> GraphDocument) throws {
    precondition(next == tensors.count, "bundle closed with tensors unwritten")
    let document = try graph(WrittenTensors(storage: .safetensors, shards: shards, locations: shardOf, crc32c: checksums))
    try document.validate()
    let index = BundleIndex(totalSize: totalBytes, weightMap: shardOf)
    try write(index, to: BundleLayout.indexFile)
    try write(document, to: BundleLayout.graphFile)
    try output.commit()
  }

  private func write<T: Encodable>(_ value: T, to name: String) throws {
    let file = try FileWriter(creating: output.temporaryPath(of: name))
    try file.write(try BundleLayout.json(value))
    try file.synchronize()
  }
}
