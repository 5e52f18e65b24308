import Graph
import Kernels

/// The canonical graph of an MLP-Mixer (formats/names-mixer.md has the name table).
struct MixerGraphBuilder {
  let config: MixerConfig

  func plan(_ variant: ExportVariant) throws -> ExportPlan {
    guard let grid = exactSquareRoot(config.tokens) else {
      throw ExportError("\(config.tokens) tokens do not form a square patch grid")
    }
    let (d, s, p) = (config.hiddenDim, config.tokens, config.patchSize)
    var graph = GraphBuilder()
    var x = graph.add(
      "stem", .conv2D(Conv2DAttributes(kernelSize: [p, p], strides: [p, p], padding: .same)), ["image"],
      shape: [-1, grid, grid, d],
      weights: [("kernel", "stem/kernel", [p, p, 3, d]), ("bias", "stem/bias", [d])])
    x = graph.add("tokens", .reshape(shape: [-1, s, d]), [x], shape: [-1, s, d])
    for i in 0..<config.blocks {
      let (block, flax) = ("blocks.\(i)", "MixerBlock_\(i)")
      var y = graph.add(
        block + ".norm1", .layerNorm(epsilon: 1e-6), [x], shape: [-1, s, d],
        weights: norm(flax + "/LayerNorm_0", d))
      y = graph.add(block + ".token_mixing.transpose_in", .transpose(permutation: [0, 2, 1]), [y], shape: [-1, d, s])
      y = mlp(
        &graph, block + ".token_mixing", flax + "/token_mixing", input: y, rows: [-1, d], width: s,
        hidden: config.tokensMLPDim)
      y = graph.add(block + ".token_mixing.transpose_out", .transpose(permutation: [0, 2, 1]), [y], shape: [-1, s, d])
      x = graph.add(block + ".token_mixing.residual", .add, [x, y], shape: [-1, s, d])
      y = graph.add(
        block + ".norm2", .layerNorm(epsilon: 1e-6), [x], shape: [-1, s, d],
        weights: norm(flax + "/LayerNorm_1", d))
      y = mlp(
        &graph, block + ".channel_mixing", flax + "/channel_mixing", input: y, rows: [-1, s], width: d,
        hidden: config.channelsMLPDim)
      x = graph.add(block + ".channel_mixing.residual", .add, [x, y], shape: [-1, s, d])
    }
    x = graph.add(
      "pre_head_norm", .layerNorm(epsilon: 1e-6), [x], shape: [-1, s, d],
      weights: norm("pre_head_layer_norm", d))
    let pool = graph.add("pool", .mean(axis: 1), [x], shape: [-1, d])
    var outputs: [GraphOutput]
    if variant == .classification, let classes = config.classes {
      let head = graph.add(
        "head", .dense, [pool], shape: [-1, classes],
        weights: [("kernel", "head/kernel", [d, classes]), ("bias", "head/bias", [classes])])
      outputs = [
        GraphOutput(name: "logits", node: head, shape: [-1, classes], description: "class logits (before softmax)"),
        GraphOutput(
          name: "pre_logits", node: pool, shape: [-1, d],
          description: "token mean after pre_head_layer_norm: the input of the head"),
      ]
    } else {
      outputs = [
        GraphOutput(
          name: "features", node: pool, shape: [-1, d],
          description: "token mean after pre_head_layer_norm (the pre-logits)")
      ]
    }
    var values: [String: ConfigValue] = [
      "patch_size": .int(p), "hidden_dim": .int(d), "num_blocks": .int(config.blocks),
      "tokens_mlp_dim": .int(config.tokensMLPDim), "channels_mlp_dim": .int(config.channelsMLPDim),
      "num_tokens": .int(s),
    ]
    if variant == .classification, let classes = config.classes { values["num_classes"] = .int(classes) }
    return ExportPlan(imageSize: grid * p, nodes: graph.nodes, outputs: outputs, weights: graph.weights, config: values)
  }

  private func norm(_ flax: String, _ width: Int) -> [(role: String, source: String, shape: [Int])] {
    [("scale", flax + "/scale", [width]), ("bias", flax + "/bias", [width])]
  }

  /// Dense → GELU (tanh approximation) → Dense over the last axis.
  private func mlp(
    _ graph: inout GraphBuilder, _ name: String, _ flax: String, input: String, rows: [Int],
    width: Int, hidden: Int
  ) -> String {
    var y = graph.add(
      name + ".fc1", .dense, [input], shape: rows + [hidden],
      weights: [
        ("kernel", flax + "/Dense_0/kernel", [width, hidden]),
        ("bias", flax + "/Dense_0/bias", [hidden]),
      ])
    y = graph.add(name + ".gelu", .gelu(approximation: .tanh), [y], shape: rows + [hidden])
    return graph.add(
      name + ".fc2", .dense, [y], shape: rows + [width],
      weights: [
        ("kernel", flax + "/Dense_1/kernel", [hidden, width]),
        ("bias", flax + "/Dense_1/bias", [width]),
      ])
  }
}
