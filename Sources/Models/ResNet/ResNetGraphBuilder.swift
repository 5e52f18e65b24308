import Graph
import Kernels

/// The canonical graph of a hybrid's ResNet v2 stem: weight-standardised convolutions,
/// GroupNorm (32 groups), ReLU, SAME max-pool, bottleneck units with projection shortcuts.
struct ResNetGraphBuilder {
  let config: ResNetConfig

  /// Adds the stem's nodes reading `input` (an image of side `imageSize`); returns the last
  /// node and its channel count.
  func add(to graph: inout GraphBuilder, input: String, imageSize: Int) -> (String, Int) {
    var side = Padding.same.window(input: imageSize, kernel: 7, stride: 2).output
    var x = conv(&graph, "stem.root.conv", "conv_root", input, 7, 2, 3, config.rootWidth, side)
    x = norm(&graph, "stem.root.norm", "gn_root", x, config.rootWidth, side)
    x = graph.add("stem.root.relu", .relu, [x], shape: [-1, side, side, config.rootWidth])
    side = Padding.same.window(input: side, kernel: 3, stride: 2).output
    x = graph.add(
      "stem.root.pool", .maxPool2D(windowSize: [3, 3], strides: [2, 2], padding: .same), [x],
      shape: [-1, side, side, config.rootWidth])
    var channels = config.rootWidth
    for (s, units) in config.stageUnits.enumerated() {
      let stage = s + 1
      let width = config.width(ofStage: stage)
      for unit in Swift.stride(from: 1, through: units, by: 1) {
        let (name, flax) = ("stem.stages.\(s).units.\(unit - 1)", "block\(stage)/unit\(unit)/")
        let stride = config.stride(stage: stage, unit: unit)
        let out = Padding.same.window(input: side, kernel: 1, stride: stride).output
        var shortcut = x
        if config.hasProjection(stage: stage, unit: unit) {
          shortcut = conv(&graph, name + ".projection.conv", flax + "conv_proj", x, 1, stride, channels, 4 * width, out)
          shortcut = norm(&graph, name + ".projection.norm", flax + "gn_proj", shortcut, 4 * width, out)
        }
        var y = conv(&graph, name + ".conv1", flax + "conv1", x, 1, 1, channels, width, side)
        y = norm(&graph, name + ".norm1", flax + "gn1", y, width, side)
        y = graph.add(name + ".relu1", .relu, [y], shape: [-1, side, side, width])
        y = conv(&graph, name + ".conv2", flax + "conv2", y, 3, stride, width, width, out)
        y = norm(&graph, name + ".norm2", flax + "gn2", y, width, out)
        y = graph.add(name + ".relu2", .relu, [y], shape: [-1, out, out, width])
        y = conv(&graph, name + ".conv3", flax + "conv3", y, 1, 1, width, 4 * width, out)
        y = norm(&graph, name + ".norm3", flax + "gn3", y, 4 * width, out)
        x = graph.add(name + ".residual", .add, [shortcut, y], shape: [-1, out, out, 4 * width])
        x = graph.add(name + ".relu", .relu, [x], shape: [-1, out, out, 4 * width])
        side = out
        channels = 4 * width
      }
    }
    return (x, channels)
  }

  /// A bias-free StdConv with SAME padding.
  private func conv(
    _ graph: inout GraphBuilder, _ name: String, _ flax: String, _ input: String, _ size: Int,
    _ stride: Int, _ inputs: Int, _ outputs: Int, _ side: Int
  ) -> String {
    graph.add(
      name,
      .conv2D(
        Conv2DAttributes(
          kernelSize: [size, size], strides: [stride, stride], padding: .same,
          weightStandardization: WeightStandardization(epsilon: 1e-5))),
      [input], shape: [-1, side, side, outputs],
      weights: [("kernel", flax + "/kernel", [size, size, inputs, outputs])])
  }

  /// GroupNorm with Flax's defaults (32 groups, epsilon 1e-6); parameters squeezed to (C,).
  private func norm(
    _ graph: inout GraphBuilder, _ name: String, _ flax: String, _ input: String, _ channels: Int,
    _ side: Int
  ) -> String {
    graph.add(
      name, .groupNorm(groups: 32, epsilon: 1e-6), [input], shape: [-1, side, side, channels],
      weights: [("scale", flax + "/scale", [channels]), ("bias", flax + "/bias", [channels])])
  }
}
