import Kernels

/// What a reference forward pass produces.
public struct ReferenceOutputs: Sendable {
  /// The vector the head sees (the features of a feature extractor).
  public let preLogits: Tensor
  /// Class logits, when the model has a head.
  public let logits: Tensor?

  /// The value of a graph output by its name (`logits`, `pre_logits`, `features`).
  public func output(named name: String) -> Tensor? {
    switch name {
    case "logits": logits
    case "pre_logits", "features": preLogits
    default: nil
    }
  }
}

/// Reads a parameter by its Flax path (without prefix) as float32 in its stored shape.
public typealias ParameterSource = (String) throws -> Tensor

/// Flax's `LayerNorm` (epsilon 1e-6 in every original model) with the `scale` and `bias`
/// under `path`.
func flaxLayerNorm(_ x: Tensor, _ path: String, _ parameter: ParameterSource, _ compute: Compute) throws -> Tensor {
  compute.layerNorm(x, scale: try parameter(path + "/scale"), bias: try parameter(path + "/bias"), epsilon: 1e-6)
}

/// The outputs for `preLogits`, the vector the head sees: with the `head` Dense applied when
/// the model has one.
func headOutputs(
  _ preLogits: Tensor, classes: Int?, _ parameter: ParameterSource, _ compute: Compute
) throws
  -> ReferenceOutputs
{
  guard classes != nil else { return ReferenceOutputs(preLogits: preLogits, logits: nil) }
  let logits = compute.dense(preLogits, kernel: try parameter("head/kernel"), bias: try parameter("head/bias"))
  return ReferenceOutputs(preLogits: preLogits, logits: logits)
}

extension ModelArchitecture {
  /// Runs the original model's computation, reading parameters by their Flax names and
  /// following the Flax semantics of checkpoint-layout.md directly, independently of the
  /// canonical graph.
  public func referenceForward(
    _ image: Tensor, parameters: ParameterSource, compute: Compute
  ) throws
    -> ReferenceOutputs
  {
    switch self {
    case .mixer(let config): return try MixerReference(config: config).forward(image, parameters, compute)
    case .vit(let config): return try ViTReference(config: config).forward(image, parameters, compute)
    }
  }
}
