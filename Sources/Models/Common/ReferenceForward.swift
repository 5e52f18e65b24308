import Kernels

/// What a reference forward pass produces.
public struct ReferenceOutputs: Sendable {
  /// The vector the head sees (the features of a feature extractor).
  public let preLogits: Tensor
  /// Class logits, when the model has a head.
  public let logits: Tensor?
}

/// Reads a parameter by its Flax path (without prefix) as float32 in its stored shape.
public typealias ParameterSource = (String) throws -> Tensor

extension ModelArchitecture {
  /// Runs the original model's computation, reading parameters by their Flax names and
  /// following the Flax semantics of checkpoint-layout.md directly, independently of the
  /// canonical graph.
  public func referenceForward(_ image: Tensor, parameters: ParameterSource, compute: Compute) throws
    -> ReferenceOutputs
  {
    switch self {
    case .mixer(let config): return try MixerReference(config: config).forward(image, parameters, compute)
    case .vit: throw ExportError("ViT reference forward is not supported yet")
    }
  }
}
