import FileIO
import Graph
import Kernels

/// Which output a bundle computes.
public enum ExportVariant: String, Sendable, Codable, CaseIterable {
  /// Class logits from the head (and the pre-logits beside them).
  case classification
  /// The pooled representation fed to the head, as the feature-extractor models output.
  case features
}

/// One canonical weight of an export and the checkpoint tensor it comes from.
public struct PlannedWeight: Sendable, Equatable {
  /// Canonical name (`blocks.3.token_mixing.fc1.kernel`).
  public let name: String
  /// Canonical shape. Its element count equals the source's unless `resize` is set (a
  /// different shape of equal size, such as GroupNorm's `(1, 1, 1, C)` as `(C,)`, is the same
  /// bytes).
  public let shape: [Int]
  /// Flax path in the checkpoint (without key prefix).
  public let source: String
  /// The position-embedding resize applied to the source, when the export changes resolution.
  public let resize: PositionEmbeddingResize?

  public init(_ name: String, _ shape: [Int], source: String, resize: PositionEmbeddingResize? = nil) {
    self.name = name
    self.shape = shape
    self.source = source
    self.resize = resize
  }

  /// The exported values from the source values (float32, stored shape).
  public func transform(_ source: Tensor) -> Tensor {
    resize.map { $0.apply(source) } ?? source.reshaped(shape)
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
public struct ExportError: RemediableError, Sendable, Equatable, CustomStringConvertible {
  public let reason: String
  public let remedy: Remedy?
  public init(_ reason: String, remedy: Remedy? = nil) {
    self.reason = reason
    self.remedy = remedy
  }
  public var description: String { reason }
}

extension ModelArchitecture {
  /// The same ViT pooled by another classifier (a checkpoint does not record whether it was
  /// trained unpooled). The class token must be there exactly when the classifier uses one.
  public func withClassifier(_ classifier: ViTClassifier) throws -> ModelArchitecture {
    guard case .vit(var config) = self else {
      throw ExportError("a classifier applies to ViTs; MLP-Mixer always averages its tokens", remedy: .chooseClassifier)
    }
    guard classifier.hasClassToken == config.classifier.hasClassToken else {
      let choices = ViTClassifier.choices(classToken: config.classifier.hasClassToken).map(\.rawValue)
      throw ExportError(
        "classifier \(classifier.rawValue) needs a checkpoint \(classifier.hasClassToken ? "with" : "without") "
          + "a class token ('cls'); this one can be exported as \(choices.joined(separator: " or "))",
        remedy: .chooseClassifier)
    }
    config.classifier = classifier
    return .vit(config)
  }

  /// The export plan for `variant` (nil: classification when there is a head) at `imageSize`
  /// (nil: the resolution the weights were trained at).
  public func exportPlan(variant: ExportVariant?, imageSize: Int? = nil) throws -> ExportPlan {
    let variant = variant ?? (classes == nil ? .features : .classification)
    if variant == .classification, classes == nil {
      throw ExportError("the checkpoint has no head, so it can only be exported as features", remedy: .exportFeatures)
    }
    switch self {
    case .mixer(let config):
      if let imageSize, imageSize != config.imageSize {
        throw ExportError(
          "MLP-Mixer cannot change resolution: its token-mixing weights fix the number of tokens "
            + "(\(config.tokens), so \(config.imageSize.map { "\($0)" } ?? "?") px); an image size of \(imageSize) is refused",
          remedy: .chooseImageSize)
      }
      return try MixerGraphBuilder(config: config).plan(variant)
    case .vit(let config):
      return try ViTGraphBuilder(config: config).plan(variant, imageSize: imageSize)
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
  mutating func add(
    _ name: String, _ operation: Operation, _ inputs: [String], shape: [Int],
    weights: [(role: String, source: String, shape: [Int])] = [],
    resize: PositionEmbeddingResize? = nil
  ) -> String {
    var roles: [String: String] = [:]
    for weight in weights {
      let canonical = name + "." + weight.role
      roles[weight.role] = canonical
      self.weights.append(PlannedWeight(canonical, weight.shape, source: weight.source, resize: resize))
    }
    nodes.append(Node(name: name, operation: operation, inputs: inputs, weights: roles, outputShape: shape))
    return name
  }
}
