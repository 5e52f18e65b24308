import LayerAttributes

/// What a graph node computes. Each case is specified in formats/bundle-v1.md.
public enum Operation: Equatable, Sendable {
  /// 2-D convolution of an NHWC tensor with an HWIO `kernel` and optional `bias`.
  case conv2D(Conv2DAttributes)
  /// Reshape to `shape`, where `-1` stands for the batch dimension (first axis).
  case reshape(shape: [Int])
  /// LayerNorm over the last axis with `scale` and `bias`.
  case layerNorm(epsilon: Double)
  /// Axis permutation; output axis `i` is input axis `permutation[i]`.
  case transpose(permutation: [Int])
  /// `x · kernel + bias` over the last axis; `kernel` is (in, out).
  case dense
  /// GELU, elementwise.
  case gelu(approximation: GELUApproximation)
  /// Elementwise sum of two inputs of equal shape.
  case add
  /// Mean over one axis, which is removed.
  case mean(axis: Int)
  /// Prepends a learned `token` (1, 1, D) to the sequence: (N, S, D) → (N, S+1, D).
  case classToken
  /// Adds a learned `embedding` (1, T, D) to every sample.
  case positionEmbedding
  /// Multi-head dot-product self-attention with query/key/value/out projections.
  case multiHeadAttention(heads: Int)
  /// One position of the sequence: (N, T, D) → (N, D).
  case selectToken(index: Int)
  /// tanh, elementwise.
  case tanh
  /// max(x, 0), elementwise.
  case relu
  /// GroupNorm of an NHWC tensor with `scale` and `bias`.
  case groupNorm(groups: Int, epsilon: Double)
  /// Max pooling of an NHWC tensor, padding counting as −∞.
  case maxPool2D(windowSize: [Int], strides: [Int], padding: Padding)

  /// The name in graph.json (`"op"`).
  public var name: String {
    switch self {
    case .conv2D: "Conv2D"
    case .reshape: "Reshape"
    case .layerNorm: "LayerNorm"
    case .transpose: "Transpose"
    case .dense: "Dense"
    case .gelu: "GELU"
    case .add: "Add"
    case .mean: "Mean"
    case .classToken: "ClassToken"
    case .positionEmbedding: "PositionEmbedding"
    case .multiHeadAttention: "MultiHeadAttention"
    case .selectToken: "SelectToken"
    case .tanh: "Tanh"
    case .relu: "ReLU"
    case .groupNorm: "GroupNorm"
    case .maxPool2D: "MaxPool2D"
    }
  }

  /// The weight roles the operation takes, required and optional.
  public var weightRoles: (required: [String], optional: [String]) {
    switch self {
    case .conv2D: (["kernel"], ["bias"])
    case .layerNorm, .groupNorm: (["scale", "bias"], [])
    case .dense: (["kernel"], ["bias"])
    case .classToken: (["token"], [])
    case .positionEmbedding: (["embedding"], [])
    case .multiHeadAttention: (MultiHeadAttentionRoles.all, [])
    default: ([], [])
    }
  }

  /// Number of inputs.
  public var arity: Int { self == .add ? 2 : 1 }
}

/// Attributes of a ``Operation/conv2D(_:)`` node.
public struct Conv2DAttributes: Codable, Equatable, Sendable {
  /// Kernel height and width.
  public var kernelSize: [Int]
  /// Strides along height and width.
  public var strides: [Int]
  /// `SAME` (extra padding bottom/right) or `VALID`.
  public var padding: Padding
  /// Standardise the kernel before convolving (ResNet v2 StdConv): per output channel,
  /// `(w − mean) / (std + epsilon)` over (KH, KW, Cin). nil: use the kernel as stored.
  public var weightStandardization: WeightStandardization?

  public init(kernelSize: [Int], strides: [Int], padding: Padding, weightStandardization: WeightStandardization? = nil)
  {
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.weightStandardization = weightStandardization
  }
}

/// Weight standardisation of a convolution kernel.
public struct WeightStandardization: Codable, Equatable, Sendable {
  /// Added to the population standard deviation (not the variance): 1e-5 in the hybrids.
  public var epsilon: Double
  public init(epsilon: Double) { self.epsilon = epsilon }
}

/// The weight roles of a ``Operation/multiHeadAttention(heads:)`` node.
public enum MultiHeadAttentionRoles {
  /// `query_kernel` (D, h, d), `query_bias` (h, d), the same for key and value, `out_kernel`
  /// (h, d, D) and `out_bias` (D).
  public static let all = [
    "query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias",
    "out_kernel", "out_bias",
  ]
}
