import Kernels

/// The ResNet v2 stem of the hybrids as `vit_jax/models_resnet.py` computes it
/// (checkpoint-layout.md sections 5.2 and 6): every convolution standardises its stored kernel
/// on the fly (`(w − mean)/(std + 1e-5)` per output channel), GroupNorm has 32 groups and
/// epsilon 1e-6, and SAME padding puts the extra row and column at the bottom and right.
struct ResNetReference {
  let config: ResNetConfig

  func forward(_ image: Tensor, _ parameter: ParameterSource, _ compute: Compute) throws -> Tensor {
    var x = try stdConv(image, "conv_root", stride: 2, parameter, compute)
    x = compute.relu(try groupNorm(x, "gn_root", parameter, compute))
    x = compute.maxPool(x, window: 3, stride: 2, padding: .same)
    for (s, units) in config.stageUnits.enumerated() {
      let stage = s + 1
      for unit in Swift.stride(from: 1, through: units, by: 1) {
        let prefix = "block\(stage)/unit\(unit)/"
        let stride = config.stride(stage: stage, unit: unit)
        var shortcut = x
        if config.hasProjection(stage: stage, unit: unit) {
          shortcut = try groupNorm(
            try stdConv(x, prefix + "conv_proj", stride: stride, parameter, compute),
            prefix + "gn_proj", parameter, compute)
        }
        var y = compute.relu(
          try groupNorm(
            try stdConv(x, prefix + "conv1", stride: 1, parameter, compute),
            prefix + "gn1", parameter, compute))
        y = compute.relu(
          try groupNorm(
            try stdConv(y, prefix + "conv2", stride: stride, parameter, compute),
            prefix + "gn2", parameter, compute))
        y = try groupNorm(
          try stdConv(y, prefix + "conv3", stride: 1, parameter, compute), prefix + "gn3", parameter,
          compute)
        x = compute.relu(compute.add(shortcut, y))
      }
    }
    return x
  }

  private func stdConv(
    _ x: Tensor, _ path: String, stride: Int, _ parameter: ParameterSource, _ compute: Compute
  ) throws
    -> Tensor
  {
    let kernel = compute.standardizeWeights(try parameter(path + "/kernel"), epsilon: 1e-5)
    return compute.conv2d(x, kernel: kernel, bias: nil, stride: stride, padding: .same)
  }

  /// GroupNorm; parameters may be stored as (C,) or (1, 1, 1, C).
  private func groupNorm(_ x: Tensor, _ path: String, _ parameter: ParameterSource, _ compute: Compute) throws -> Tensor
  {
    let scale = try parameter(path + "/scale")
    let bias = try parameter(path + "/bias")
    return compute.groupNorm(
      x, groups: 32, scale: scale.reshaped([scale.count]), bias: bias.reshaped([bias.count]),
      epsilon: 1e-6)
  }
}
