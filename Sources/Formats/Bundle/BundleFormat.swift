import FileIO
import Foundation
import Graph

/// A bundle folder: `graph.json`, a Hugging Face style index and safetensors shards
/// (formats/bundle-v1.md).
enum BundleFormat: ExportFormatDefinition {
  static let noun = "a bundle folder"
  static let isFolder = true
  static let suffixes: [String] = []
  static let options: Set<ExportOption> = [.shardSize]

  /// A folder whose `graph.json` names this format: a user's own `graph.json` makes no bundle.
  static func recognizes(_ path: String) -> Bool {
    struct Header: Decodable { let format: String }
    guard let bytes = try? RegularFile.read(path + "/" + BundleLayout.graphFile, limit: JSONDocument.maxBytes),
      let header = try? JSONDecoder().decode(Header.self, from: Data(bytes))
    else { return false }
    return header.format == GraphDocument.formatName
  }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter { try BundleWriter(request) }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    try LoadedBundle(path: path, checksums: options.checksums)
  }

  static func files(at path: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.sorted().map { path + "/" + $0 }
  }

  /// `graph.json`, the index and the shards the index lists (a file named like a shard that
  /// the index does not list is not the export's).
  static func writtenNames(at path: String) -> Set<String> {
    let index = try? LoadedBundle.document(BundleIndex.self, at: path + "/" + BundleLayout.indexFile)
    let shards = (index?.weightMap.values).map { Set($0.filter(BundleLayout.isShardName)) } ?? []
    return shards.union([BundleLayout.graphFile, BundleLayout.indexFile])
  }
}
