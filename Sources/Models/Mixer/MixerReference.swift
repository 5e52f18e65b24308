import Kernels

/// MLP-Mixer as `vit_jax/models_mixer.py` computes it (checkpoint-layout.md section 3.2),
/// reading parameters by their Flax names.
///
/// Token mixing is computed as `W1ᵀ · Y` per sample (tokens as rows, through a transposed
/// GEMM operand) rather than the executor's transpose-then-Dense, so the two paths share no
/// code there.
struct MixerReference {
  let config: MixerConfig

  func forward(_ image: Tensor, _ parameter: ParameterSource, _ compute: Compute) throws -> ReferenceOutputs {
    let p = config.patchSize
    // The stem is a P×P convolution with stride P and Flax's default SAME padding.
    var x = compute.conv2d(
      image, kernel: try parameter("stem/kernel"), bias: try parameter("stem/bias"), stride: p,
      padding: .same)
    let (n, d) = (x.shape[0], x.shape[3])
    let s = x.shape[1] * x.shape[2]
    x = x.reshaped([n, s, d])
    for block in 0..<config.blocks {
      let prefix = "MixerBlock_\(block)/"
      var y = try flaxLayerNorm(x, prefix + "LayerNorm_0", parameter, compute)
      y = try tokenMixing(y, prefix + "token_mixing/", parameter, compute)
      x = compute.add(x, y)
      y = try flaxLayerNorm(x, prefix + "LayerNorm_1", parameter, compute)
      y = compute.dense(
        y, kernel: try parameter(prefix + "channel_mixing/Dense_0/kernel"),
        bias: try parameter(prefix + "channel_mixing/Dense_0/bias"))
      y = compute.gelu(y, approximation: .tanh)
      y = compute.dense(
        y, kernel: try parameter(prefix + "channel_mixing/Dense_1/kernel"),
        bias: try parameter(prefix + "channel_mixing/Dense_1/bias"))
      x = compute.add(x, y)
    }
    x = try flaxLayerNorm(x, "pre_head_layer_norm", parameter, compute)
    let preLogits = compute.mean(x, axis: 1)
    return try headOutputs(preLogits, classes: config.classes, parameter, compute)
  }

  /// `Dense_1(gelu(Dense_0(yᵀ)))ᵀ` for each sample of `y` (tokens × channels), computed in the
  /// tokens-as-rows orientation: `h = W0ᵀ·y + b0` (hidden × channels), then `W1ᵀ·gelu(h) + b1`.
  private func tokenMixing(
    _ y: Tensor, _ prefix: String, _ parameter: ParameterSource, _ compute: Compute
  ) throws
    -> Tensor
  {
    let w0 = try parameter(prefix + "Dense_0/kernel")  // (tokens, hidden)
    let b0 = try parameter(prefix + "Dense_0/bias")
    let w1 = try parameter(prefix + "Dense_1/kernel")  // (hidden, tokens)
    let b1 = try parameter(prefix + "Dense_1/bias")
    let (n, s, d) = (y.shape[0], y.shape[1], y.shape[2])
    let hidden = w0.shape[1]
    var out: [Float] = []
    out.reserveCapacity(n * s * d)
    for sample in 0..<n {
      let ys = Tensor(shape: [s, d], scalars: Array(y.scalars[(sample * s * d)..<((sample + 1) * s * d)]))
      var h = compute.matmul(w0, ys, transposeA: true)  // (hidden, d)
      for row in 0..<hidden { for c in 0..<d { h.scalars[row * d + c] += b0.scalars[row] } }
      h = compute.gelu(h, approximation: .tanh)
      var o = compute.matmul(w1, h, transposeA: true)  // (tokens, d)
      for row in 0..<s { for c in 0..<d { o.scalars[row * d + c] += b1.scalars[row] } }
      out += o.scalars
    }
    return Tensor(shape: [n, s, d], scalars: out)
  }
}
