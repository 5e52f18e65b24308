import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// A bundle folder opened for running: graph, index and shards read and cross-checked.
///
/// Opening refuses, with one line naming the file and tensor, a bundle whose graph is invalid,
/// whose index and graph disagree, whose files point outside the folder or are missing, whose
/// safetensors headers are malformed, or (unless checksums are skipped) whose data does not
/// match the recorded CRC-32C and SHA-256.
public final class LoadedBundle: LoadedExport {
  /// The bundle folder.
  public let path: String
  /// The graph document.
  public let graph: GraphDocument
  /// Where each tensor is stored.
  let locations: SafetensorsLocations
  private let shards: [String: SafetensorsFile]

  /// Opens and checks a bundle.
  ///
  /// - Parameter checksums: verify every tensor's CRC-32C and every shard's SHA-256.
  public init(path: String, checksums: Bool = true) throws {
    self.path = path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ExportFileError(path: path, reason: "does not exist")
    }
    guard isDirectory.boolValue else {
      throw ExportFileError(
        path: path, reason: "not a bundle folder (expected a folder holding \(BundleLayout.graphFile))")
    }
    let stored = try Self.document(
      LocatedGraphDocument<SafetensorsLocations>.self, at: path + "/" + BundleLayout.graphFile)
    (graph, locations) = (stored.document, stored.locations)
    do { try graph.validate() } catch let error as GraphError {
      throw ExportFileError(path: path + "/" + BundleLayout.graphFile, reason: error.message)
    }
    let index = try Self.document(BundleIndex.self, at: path + "/" + BundleLayout.indexFile)
    try Self.crossCheck(graph, locations, index, folder: path)
    var shards: [String: SafetensorsFile] = [:]
    for shard in locations.shards {
      let file = path + "/" + shard.file
      guard FileManager.default.fileExists(atPath: file) else {
        throw ExportFileError(path: file, reason: "shard listed in \(BundleLayout.graphFile) is missing")
      }
      shards[shard.file] = try SafetensorsFile(path: file)
    }
    self.shards = shards
    try checkShards(checksums: checksums)
  }

  /// Reads a JSON document strictly (a regular file, size cap, no duplicate keys) and decodes it.
  static func document<T: Decodable>(_ type: T.Type, at file: String) throws -> T {
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(file, limit: JSONDocument.maxBytes) } catch {
      throw ExportFileError(path: file, reason: error.reason == "does not exist" ? "is missing" : error.reason)
    }
    return try JSONDocument.decode(type, from: Data(bytes), path: file)
  }

  /// The index and the manifest must name the same tensors in the same shards, and every
  /// file they name must be a plain name inside the folder.
  private static func crossCheck(
    _ graph: GraphDocument, _ locations: SafetensorsLocations, _ index: BundleIndex,
    folder: String
  ) throws {
    let indexPath = folder + "/" + BundleLayout.indexFile
    let graphPath = folder + "/" + BundleLayout.graphFile
    for file in Set(index.weightMap.values).union(locations.shards.map(\.file)).sorted()
    where !BundleLayout.isPlainFileName(file) {
      throw ExportFileError(path: folder, reason: "names the file '\(file)', which is outside the bundle folder")
    }
    let manifest = graph.header.weights.tensors
    if let name = index.weightMap.keys.sorted().first(where: { manifest[$0] == nil }) {
      throw ExportFileError(path: indexPath, tensor: name, reason: "is not in \(BundleLayout.graphFile)")
    }
    if let name = manifest.keys.sorted().first(where: { index.weightMap[$0] == nil }) {
      throw ExportFileError(path: indexPath, tensor: name, reason: "is missing from the index")
    }
    let shardNames = Set(locations.shards.map(\.file))
    for name in manifest.keys.sorted() {
      let shard = locations.byTensor[name]!
      guard index.weightMap[name] == shard else {
        throw ExportFileError(
          path: indexPath, tensor: name,
          reason: "is in '\(index.weightMap[name]!)' by the index but in '\(shard)' by \(BundleLayout.graphFile)")
      }
      guard shardNames.contains(shard) else {
        throw ExportFileError(path: graphPath, tensor: name, reason: "is in shard '\(shard)', which is not listed")
      }
    }
    let total = graph.header.weights.totalBytes!  // one of the export dtypes: the graph is validated
    guard index.metadata.totalSize == total else {
      throw ExportFileError(
        path: indexPath, reason: "total_size is \(index.metadata.totalSize) but the tensors hold \(total) bytes")
    }
  }

  private func checkShards(checksums: Bool) throws {
    for shard in locations.shards {
      let file = shards[shard.file]!
      let tensors = graph.header.weights.tensors.filter { locations.byTensor[$0.key] == shard.file }
      if let extra = file.entries.keys.sorted().first(where: { tensors[$0] == nil }) {
        throw ExportFileError(path: file.path, tensor: extra, reason: "is not in \(BundleLayout.graphFile)")
      }
      for (name, entry) in tensors.sorted(by: { $0.key < $1.key }) {
        guard let stored = file.entries[name] else {
          throw ExportFileError(path: file.path, tensor: name, reason: "is missing from the shard")
        }
        guard stored.dtype == dtype, stored.shape == entry.shape else {
          throw ExportFileError(
            path: file.path, tensor: name,
            reason:
              "is \(stored.dtype.rawValue) \(stored.shape) but \(BundleLayout.graphFile) says \(dtype.rawValue) \(entry.shape)"
          )
        }
        if checksums {
          // A signal caught meanwhile (a conversion verifying its export) stops the checks here.
          try Interruption.check()
          let crc = CRC32C.hex(CRC32C.checksum(file.bytes(of: name)!))
          guard crc == entry.crc32c else {
            throw ExportFileError(
              path: file.path, tensor: name, reason: "CRC-32C is \(crc), expected \(entry.crc32c): the data is corrupt")
          }
        }
      }
      try file.check(
        size: shard.bytes, sha256: shard.sha256, checksums: checksums, recordedIn: BundleLayout.graphFile,
        meaning: "the file is corrupt")
    }
  }

  public var format: ExportFormat { .bundle }
  public var header: ExportHeader { graph.header }
  public var formatVersion: String { graph.formatVersion }
  public var operations: [String: Int] { graph.operationCounts }

  public func storedBytes(of name: String) -> UnsafeRawBufferPointer? {
    locations.byTensor[name].flatMap { shards[$0]?.bytes(of: name) }
  }

  public func compile(compute: Compute) throws -> ExecutionPlan {
    ExecutionPlan(graph: graph, weights: weights(), compute: compute)
  }
}
