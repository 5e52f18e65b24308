import Graph

/// Which output a bundle computes.
public enum ExportVariant: String, Sendable, Codable, CaseIterable {
  /// Class logits from the head (and the pre-logits beside them).
  case classification
  /// The pooled representation fed to the head, as the feature-extractor models output.
  case features
}

/// One canonical weight of an export and the checkpoint tensor it is copied from.
public struct PlannedWeight: Sendable, Equatable {
  /// Canonical name (`blocks.3.token_mixing.fc1.kernel`).
  public let name: String
  /// Canonical shape.
  public let shape: [Int]
  /// Flax path in the checkpoint (without key prefix).
  public let source: String

  public init(_ name: String, _ shape: [Int], source: String) {
    self.name = name
    self.shape = shape
    self.source = source
  }
}

/// Everything needed to write a bundle for a recognised checkpoint, except the weight bytes.
public struct ExportPlan: Sendable {
  /// Square input side in pixels.
  public let imageSize: Int
  /// The layers.
  public let nodes: [Node]
  /// The outputs, primary first.
  public let outputs: [GraphOutput]
  /// Every weight, in the order the nodes use them.
  public let weights: [PlannedWeight]
  /// Hyper-parameters recorded in graph.json.
  public let config: [String: ConfigValue]
}

/// An architecture that cannot be exported as requested.
public struct ExportError: Error, Sendable, Equatable, CustomStringConvertible {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

extension ModelArchitecture {
  /// The export plan for `variant` (nil: classification when there is a head).
  public func exportPlan(variant: ExportVariant?) throws -> ExportPlan {
    let variant = variant ?? (classes == nil ? .features : .classification)
    if variant == .classification, classes == nil {
      throw ExportError("the checkpoint has no head, so it can only be exported with --variant features")
    }
    switch self {
    case .mixer(let config): return try MixerGraphBuilder(config: config).plan(variant)
    case .vit: throw ExportError("ViT export is not supported yet")
    }
  }
}

/// Builds node lists with canonical names, collecting the weights they use.
struct GraphBuilder {
  private(set) var nodes: [Node] = []
  private(set) var weights: [PlannedWeight] = []

  /// Adds a node and returns its name. `weights` maps role → (source path, shape); the
  /// canonical weight name is `name.role`.
  @discardableResult
  mutating func add(_ name: String, _ operation: Operation, _ inputs: [String], shape: [Int],
                    weights: [(role: String, source: String, shape: [Int])] = []) -> String {
    var roles: [String: String] = [:]
    for weight in weights {
      let canonical = name + "." + weight.role
      roles[weight.role] = canonical
      self.weights.append(PlannedWeight(canonical, weight.shape, source: weight.source))
    }
    nodes.append(Node(name: name, operation: operation, inputs: inputs, weights: roles, outputShape: shape))
    return name
  }
}
