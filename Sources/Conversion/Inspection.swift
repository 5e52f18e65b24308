import Checkpoint
import Foundation
import Models

/// What `inspect` should show.
public struct InspectOptions: Sendable {
  /// Deepest tree level to list (1 = top-level folders only); nil lists everything.
  public var depth: Int?
  /// A glob (`*`, `?`, `[…]`; `*` also matches `/`) that a tensor's name, or its path as the
  /// tree shows it (levels joined by `/`), must match.
  public var filter: String?
  /// Read every tensor and compute its statistics.
  public var statistics: Bool

  public init(depth: Int? = nil, filter: String? = nil, statistics: Bool = false) {
    self.depth = depth
    self.filter = filter
    self.statistics = statistics
  }
}

/// Everything `inspect` reports about a checkpoint; also the `--json` document
/// (schema: formats/inspect-json.md).
public struct InspectionReport: Encodable, Sendable {
  /// A folder or tensor line of the tree.
  public struct Node: Encodable, Sendable {
    public enum Kind: String, Encodable, Sendable { case folder, tensor }
    public let path: String
    public let name: String
    public let depth: Int
    public let kind: Kind
    public let parameters: Int
    public let bytes: Int
    public let tensors: Int
    public let dtype: DType?
    public let shape: [Int]?
    public var statistics: TensorStatistics?
  }

  /// The recognised model, or why there is none.
  public struct Model: Encodable, Sendable {
    public let recognized: Bool
    public let reason: String?
    public let family: ModelFamily?
    public let name: String?
    public let upstreamName: String?
    public let variant: ModelVariant?
    public let classes: Int?
    public let imageSize: Int?
    public let summary: String?
    public let mixer: MixerConfig?
    public let vit: ViTConfig?
    public let report: LayoutReport?
  }

  public let format = "mixer-convert.inspect"
  public let version = 1
  /// `checkpoint` (an export's report says `export`).
  public let kind = "checkpoint"
  public let path: String
  public let fileBytes: Int
  public let compression: String
  public let prefix: String
  public let keysOutsidePrefix: [String]
  public let parameters: Int
  public let bytes: Int
  public let tensors: Int
  public let nodes: [Node]
  public let model: Model
}

/// Builds ``InspectionReport``s.
public enum Inspector {
  /// Inspects the checkpoint at `path`. Without statistics only the zip directory and the npy
  /// headers are read.
  public static func inspect(path: String, options: InspectOptions = InspectOptions()) throws -> InspectionReport {
    let file = try NpzFile(path: path)
    let tree = ParamTree(arrays: file.arrays)
    let listed = tree.leaves.map { leaf in
      ListedTensor(
        path: leaf.path, components: leaf.path.split(separator: "/").map(String.init),
        parameters: leaf.array.elementCount, bytes: leaf.array.byteCount, dtype: leaf.array.dtype,
        shape: leaf.array.shape)
    }
    let nodes = try InspectionTree.nodes(listed, separator: "/", options: options) { path in
      try tree[path].map(file.statistics(of:))
    }
    let compressions = Set(file.arrays.map(\.compression.rawValue))
    return InspectionReport(
      path: path, fileBytes: file.fileSize,
      compression: compressions.count == 1 ? compressions.first! : (compressions.isEmpty ? "none" : "mixed"),
      prefix: tree.prefix, keysOutsidePrefix: tree.keysOutsidePrefix, parameters: tree.parameterCount,
      bytes: tree.byteCount, tensors: tree.leaves.count, nodes: nodes,
      model: model(tree))
  }

  private static func model(_ tree: ParamTree) -> InspectionReport.Model {
    switch ModelRecognizer.recognize(tree) {
    case .failure(let error):
      return .init(
        recognized: false, reason: error.reason, family: nil, name: nil, upstreamName: nil, variant: nil,
        classes: nil, imageSize: nil, summary: nil, mixer: nil, vit: nil, report: nil)
    case .success(let recognition):
      let architecture = recognition.architecture
      var mixer: MixerConfig?
      var vit: ViTConfig?
      switch architecture {
      case .mixer(let config): mixer = config
      case .vit(let config): vit = config
      }
      // The model's own: tensors it does not use (converted only with --allow-unused) are not.
      let unused = recognition.report.unused.reduce(0) { $0 + (tree[$1]?.elementCount ?? 0) }
      let modelParameters = tree.parameterCount - unused
      return .init(
        recognized: true, reason: nil, family: architecture.family, name: recognition.displayName,
        upstreamName: recognition.catalogEntry?.name, variant: architecture.variant,
        classes: architecture.classes, imageSize: architecture.imageSize,
        summary: recognition.summary(parameterCount: modelParameters), mixer: mixer, vit: vit,
        report: recognition.report)
    }
  }
}
