import Checkpoint
import Formats
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
  /// The export's format.
  public let container: ExportFormat
  /// Bytes on disk (every file of the export).
  public let fileBytes: Int
  /// `format_version` of the graph document.
  public let formatVersion: String
  public let generator: Generator
  public let model: ModelInfo
  public let input: InputContract
  public let outputs: [GraphOutput]
  /// Number of nodes per operation, in the format's vocabulary.
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
  /// Inspects the export at `path`: its structure is checked on opening (its checksums are
  /// not: `run` and `verify` check them); statistics read every tensor.
  ///
  /// - Parameter hdf5: where an HDF5 file is read (see ``HDF5Reading``).
  public static func inspectExport(
    path: String, options: InspectOptions = InspectOptions(),
    hdf5: HDF5Reading = .inProcess
  ) throws -> ExportInspectionReport {
    let export = try Exports.open(path, OpenOptions(checksums: false, hdf5: hdf5))
    let header = export.header
    let dtype = export.dtype
    let listed = header.weights.tensors.keys.sorted(by: NaturalOrder.less).map { name in
      let shape = header.weights.tensors[name]!.shape
      return ListedTensor(
        path: name, components: name.split(separator: ".").map(String.init),
        parameters: shape.reduce(1, *), bytes: shape.reduce(1, *) * dtype.itemSize, dtype: dtype,
        shape: shape)
    }
    let nodes = try InspectionTree.nodes(listed, separator: ".", options: options) { name in
      guard let values = export.tensor(name)?.scalars else { return nil }
      var statistics = TensorStatistics()
      values.withUnsafeBufferPointer { statistics.add($0) }
      return statistics
    }
    return ExportInspectionReport(
      path: path, container: export.format, fileBytes: export.format.diskSize(at: path),
      formatVersion: export.formatVersion, generator: header.generator, model: header.model, input: header.input,
      outputs: header.outputs, operations: export.operations, dtype: header.weights.dtype,
      parameters: listed.reduce(0) { $0 + $1.parameters },
      bytes: listed.reduce(0) { $0 + $1.bytes }, tensors: listed.count, checksumsVerified: false, nodes: nodes)
  }
}
