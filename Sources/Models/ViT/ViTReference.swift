import Kernels

/// A Vision Transformer as `vit_jax/models_vit.py` computes it (checkpoint-layout.md section
/// 4.3), reading parameters by their Flax names: query, key and value are three separate
/// projections here, where the executor fuses them into one.
struct ViTReference {
  let config: ViTConfig

  func forward(_ image: Tensor, _ parameter: ParameterSource, _ compute: Compute) throws -> ReferenceOutputs {
    var x = image
    if let resnet = config.resnet { x = try ResNetReference(config: resnet).forward(x, parameter, compute) }
    x = compute.conv2d(
      x, kernel: try parameter("embedding/kernel"), bias: try parameter("embedding/bias"),
      stride: config.patchSize, padding: .valid)
    let (n, d) = (x.shape[0], x.shape[3])
    x = x.reshaped([n, x.shape[1] * x.shape[2], d])
    if config.classifier.hasClassToken { x = compute.prependToken(x, token: try parameter("cls")) }
    x = compute.addToEverySample(x, try parameter("Transformer/posembed_input/pos_embedding"))
    let names = config.naming
    for layer in 0..<config.layers {
      let block = "Transformer/encoderblock_\(layer)/"
      var y = try flaxLayerNorm(x, block + names.attentionNorm, parameter, compute)
      y = try selfAttention(y, block + names.attention + "/", parameter, compute)
      x = compute.add(x, y)
      y = try flaxLayerNorm(x, block + names.mlpNorm, parameter, compute)
      y = compute.dense(
        y, kernel: try parameter(block + names.mlp + "/Dense_0/kernel"),
        bias: try parameter(block + names.mlp + "/Dense_0/bias"))
      y = compute.gelu(y, approximation: .tanh)
      y = compute.dense(
        y, kernel: try parameter(block + names.mlp + "/Dense_1/kernel"),
        bias: try parameter(block + names.mlp + "/Dense_1/bias"))
      x = compute.add(x, y)
    }
    x = try flaxLayerNorm(x, "Transformer/encoder_norm", parameter, compute)
    var pooled: Tensor
    switch config.classifier {
    case .token: pooled = compute.selectToken(x, index: 0)
    case .gap: pooled = compute.mean(x, axis: 1)
    case .tokenUnpooled, .unpooled: pooled = x
    }
    if config.representationSize != nil {
      pooled = compute.tanh(
        compute.dense(
          pooled, kernel: try parameter("pre_logits/kernel"),
          bias: try parameter("pre_logits/bias")))
    }
    return try headOutputs(pooled, classes: config.classes, parameter, compute)
  }

  /// `MultiHeadDotProductAttention` with query, key and value all from `y`: each projection
  /// contracts (D) with a (D, heads, head_dim) kernel plus a (heads, head_dim) bias; the output
  /// contracts (heads, head_dim) with a (heads, head_dim, D) kernel plus a (D) bias.
  private func selfAttention(
    _ y: Tensor, _ prefix: String, _ parameter: ParameterSource, _ compute: Compute
  ) throws
    -> Tensor
  {
    let d = y.shape[2]
    func project(_ name: String) throws -> Tensor {
      let kernel = try parameter(prefix + name + "/kernel")
      return compute.dense(
        y, kernel: kernel.reshaped([d, kernel.count / d]),
        bias: try parameter(prefix + name + "/bias").reshaped([kernel.count / d]))
    }
    let attended = compute.attention(
      query: try project("query"), key: try project("key"), value: try project("value"),
      heads: config.heads)
    let out = try parameter(prefix + "out/kernel")
    return compute.dense(attended, kernel: out.reshaped([out.count / d, d]), bias: try parameter(prefix + "out/bias"))
  }
}
