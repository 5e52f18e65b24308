import Bundle
import Checkpoint
import Foundation
import Graph

/// Everything `inspect` reports about an export (a bundle folder or an HDF5 file); also the
/// `--json` document (formats/inspect-json.md, "Exports").
public struct ExportInspectionReport: Encodable, Sendable {
  public let format = "mixer-convert.inspect"
  public let version = 1
  /// `export` (a checkpoint's report says `checkpoint`).
  public let kind = "export"
  public let path: String
  /// Bundle folder or HDF5 file.
  public let container: ExportFormat
  /// Bytes on disk (every file of a bundle).
  public let fileBytes: Int
  /// `format_version` of the graph document.
  public let formatVersion: String
  public let generator: Generator
  public let model: ModelInfo
  public let input: InputContract
  public let outputs: [GraphOutput]
  /// Number of graph nodes per operation.
  public let operations: [String: Int]
  /// Element type of the weights.
  public let dtype: String
  public let parameters: Int
  public let bytes: Int
  public let tensors: Int
  /// Whether the tensors' CRC-32C (and a bundle's SHA-256) were checked while opening.
  public let checksumsVerified: Bool
  /// The weights as a tree over their `.`-joined canonical names.
  public let nodes: [InspectionReport.Node]
}

extension Inspector {
  /// Whether `path` is an export rather than a checkpoint: a folder, or an HDF5 file.
  public static func isExport(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && (isDirectory.boolValue || Exports.isHDF5(path))
  }

  /// Inspects the export at `path`: its structure is checked on opening (its checksums are
  /// not: `run` and `verify` check them); statistics read every tensor.
  public static func inspectExport(path: String, options: InspectOptions = InspectOptions(),
                                   hdf5: HDF5Reading = .inProcess) throws -> ExportInspectionReport
  {
    let export = try Exports.open(path, checksums: false, hdf5: hdf5)
    let graph = export.graph
    let dtype = DType(rawValue: graph.weights.dtype)!
    let listed = graph.weights.tensors.keys.sorted(by: NaturalOrder.less).map { name in
      let shape = graph.weights.tensors[name]!.shape
      return ListedTensor(path: name, components: name.split(separator: ".").map(String.init),
                          parameters: shape.reduce(1, *), bytes: shape.reduce(1, *) * dtype.itemSize, dtype: dtype,
                          shape: shape)
    }
    var nodes = InspectionTree.nodes(listed, separator: ".", options: options)
    if options.statistics {
      for i in nodes.indices where nodes[i].kind == .tensor {
        guard let values = export.tensor(nodes[i].path)?.scalars else { continue }
        var statistics = TensorStatistics()
        values.withUnsafeBufferPointer { statistics.add($0) }
        nodes[i].statistics = statistics
      }
    }
    var operations: [String: Int] = [:]
    for node in graph.nodes { operations[node.operation.name, default: 0] += 1 }
    let container: ExportFormat = export is LoadedBundle ? .bundle : .hdf5
    return ExportInspectionReport(
      path: path, container: container, fileBytes: Converter.diskSize(of: path), formatVersion: graph.formatVersion,
      generator: graph.generator, model: graph.model, input: graph.input, outputs: graph.outputs,
      operations: operations, dtype: graph.weights.dtype, parameters: listed.reduce(0) { $0 + $1.parameters },
      bytes: listed.reduce(0) { $0 + $1.bytes }, tensors: listed.count, checksumsVerified: false, nodes: nodes)
  }
}
