import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes a bundle folder (formats/bundle-v1.md): safetensors shards streamed one tensor at a
/// time, then `model.safetensors.index.json` and `graph.json`.
///
/// Everything goes into a temporary sibling folder that ``finish(beforeCommit:header:)`` renames into place;
/// if anything fails first, or the process is interrupted, no output folder is left behind.
final class BundleWriter: ExportWriter {
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

  private let nodes: [Node]
  private let input: InputContract
  private let outputs: [GraphOutput]

  /// Prepares the output folder and the shard plan (shards of at most
  /// `request.options.shardSize` data bytes, 2 GiB by default).
  init(_ request: ExportWriteRequest) throws {
    dtype = request.dtype
    tensors = request.tensors
    nodes = request.nodes
    input = request.input
    outputs = request.outputs
    let sizes = request.tensors.map { $0.shape.reduce(1, *) * request.dtype.itemSize }
    totalBytes = sizes.reduce(0, +)
    shardRanges = BundleLayout.shards(sizes: sizes, limit: request.options.shardSize ?? BundleLayout.defaultShardSize)
    output = try AtomicOutput(
      finalPath: request.path, isDirectory: true, replacing: request.replacing,
      displacedRefusal: ExportFormat.replacementRefusal)
  }

  public func writeTensor(
    _ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  )
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
      in: output, fileName: name, tensors: tensors[range].map { ($0.name, dtype, $0.shape) })
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
  public func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport {
    precondition(next == tensors.count, "bundle closed with tensors unwritten")
    let document = GraphDocument(header: try header(checksums), nodes: nodes)
    precondition(
      document.header.input == input && document.header.outputs == outputs, "the header changed the graph's ends")
    try document.validate()
    let index = BundleIndex(totalSize: totalBytes, weightMap: shardOf)
    try output.writeFile(BundleLayout.indexFile, try BundleLayout.json(index))
    let locations = SafetensorsLocations(index: BundleLayout.indexFile, shards: shards, byTensor: shardOf)
    try output.writeFile(BundleLayout.graphFile, try BundleLayout.json(LocatedGraphDocument(document, locations)))
    try beforeCommit(StagedFiles(path: output.temporaryPath))
    let files = [BundleLayout.graphFile, BundleLayout.indexFile] + shards.map(\.file)
    let identity = try output.commit(madeOf: files.map { output.finalPath + "/" + $0 })
    let storage = "in \(shards.count) shard" + (shards.count == 1 ? "" : "s")
    return WrittenExport(storage: storage, files: files, identity: identity)
  }
}
