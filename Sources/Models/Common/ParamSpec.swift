/// What a parameter is, which decides how synthetic values are drawn for it.
public enum ParamRole: Sendable, Equatable {
  /// A weight matrix or convolution kernel with the given fan-in.
  case kernel(fanIn: Int)
  /// An additive bias.
  case bias
  /// A normalisation scale (multiplicative, centred on 1).
  case scale
  /// A learned embedding (class token, position embedding).
  case embedding
}

/// One parameter an architecture expects: its path, shape and role.
public struct ParamSpec: Sendable, Equatable {
  /// Path in the checkpoint tree, without key prefix (`MixerBlock_0/LayerNorm_0/scale`).
  public let path: String
  /// Expected shape.
  public let shape: [Int]
  /// What the parameter does.
  public let role: ParamRole
  /// Another shape the same values may be stored in: GroupNorm parameters of older Flax
  /// versions are `(1, 1, 1, C)` rather than `(C,)`.
  public let alternateShape: [Int]?

  public init(_ path: String, _ shape: [Int], _ role: ParamRole, alternateShape: [Int]? = nil) {
    self.path = path
    self.shape = shape
    self.role = role
    self.alternateShape = alternateShape
  }

  /// Number of elements.
  public var elementCount: Int { shape.reduce(1, *) }

  /// Whether a stored shape is acceptable for this parameter.
  public func accepts(_ stored: [Int]) -> Bool { stored == shape || stored == alternateShape }
}

extension Array where Element == ParamSpec {
  /// Total number of parameters.
  public var parameterCount: Int { reduce(0) { $0 + $1.elementCount } }

  /// Specs for a Dense layer under `path`.
  mutating func dense(_ path: String, _ inputs: Int, _ outputs: Int) {
    append(ParamSpec(path + "/kernel", [inputs, outputs], .kernel(fanIn: inputs)))
    append(ParamSpec(path + "/bias", [outputs], .bias))
  }

  /// Specs for a LayerNorm under `path`.
  mutating func layerNorm(_ path: String, _ width: Int) {
    append(ParamSpec(path + "/scale", [width], .scale))
    append(ParamSpec(path + "/bias", [width], .bias))
  }
}
