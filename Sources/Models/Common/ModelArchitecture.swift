/// The model families of google-research/vision_transformer.
public enum ModelFamily: String, Sendable, Codable {
  case mixer
  case vit
  /// A ViT whose patches come from a ResNet v2 stem (R+ViT, R26+ViT, R50+ViT).
  case hybrid
}

/// What a checkpoint's output is.
public enum ModelVariant: String, Sendable, Codable {
  /// Has a `head`: outputs class logits.
  case classification
  /// Has no `head`: outputs the pooled representation.
  case featureExtractor = "feature_extractor"
}

/// A fully specified architecture: family and every hyper-parameter that shapes the weights.
public enum ModelArchitecture: Sendable, Equatable {
  case mixer(MixerConfig)
  case vit(ViTConfig)

  /// The family.
  public var family: ModelFamily {
    switch self {
    case .mixer: .mixer
    case .vit(let config): config.resnet == nil ? .vit : .hybrid
    }
  }

  /// Every parameter the architecture has, in upstream module order.
  public var layout: [ParamSpec] {
    switch self {
    case .mixer(let config): config.layout
    case .vit(let config): config.layout
    }
  }

  /// Number of output classes, or nil without a head.
  public var classes: Int? {
    switch self {
    case .mixer(let config): config.classes
    case .vit(let config): config.classes
    }
  }

  /// Classification when there is a head, feature extractor otherwise.
  public var variant: ModelVariant { classes == nil ? .featureExtractor : .classification }

  /// The square input size in pixels the weights imply, when they imply one.
  public var imageSize: Int? {
    switch self {
    case .mixer(let config): config.imageSize
    case .vit(let config): config.imageSize
    }
  }

  /// The same architecture with another head size (nil removes the head).
  public func withClasses(_ classes: Int?) -> ModelArchitecture {
    switch self {
    case .mixer(var config):
      config.classes = classes
      return .mixer(config)
    case .vit(var config):
      config.classes = classes
      return .vit(config)
    }
  }
}

/// The integer square root when `n` is a perfect square.
func exactSquareRoot(_ n: Int) -> Int? {
  guard n >= 0 else { return nil }
  var root = Int(Double(n).squareRoot())
  while root * root > n { root -= 1 }
  while (root + 1) * (root + 1) <= n { root += 1 }
  return root * root == n ? root : nil
}
