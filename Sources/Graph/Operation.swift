import Kernels

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
    }
  }

  /// The weight roles the operation takes, required and optional.
  public var weightRoles: (required: [String], optional: [String]) {
    switch self {
    case .conv2D: (["kernel"], ["bias"])
    case .layerNorm: (["scale", "bias"], [])
    case .dense: (["kernel"], ["bias"])
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

  public init(kernelSize: [Int], strides: [Int], padding: Padding) {
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
  }
}
