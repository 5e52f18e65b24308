import FileIO
import Graph
import Kernels

/// The canonical graph of a ViT, with the ResNet stem of a hybrid (formats/names-vit.md and
/// formats/names-hybrid.md have the name tables).
struct ViTGraphBuilder {
  let config: ViTConfig

  func plan(_ variant: ExportVariant, imageSize requested: Int?) throws -> ExportPlan {
    let cell = config.pixelsPerToken
    guard let grid = exactSquareRoot(config.patchTokens) else {
      throw ExportError("position embedding rows do not form a square patch grid")
    }
    let newGrid: Int
    if let requested {
      guard requested <= InputContract.maxSide else {
        throw ExportError(
          "an image size of \(requested) is larger than \(InputContract.maxSide), the most an export takes",
          remedy: .chooseImageSize)
      }
      guard requested > 0, requested % cell == 0 else {
        throw ExportError(
          "an image size of \(requested) is not a multiple of \(cell), the pixels per patch-grid cell",
          remedy: .chooseImageSize)
      }
      newGrid = requested / cell
    } else {
      newGrid = grid
    }
    let size = newGrid * cell
    let d = config.hiddenSize
    var graph = GraphBuilder()
    var x = "image"
    var channels = 3
    if let resnet = config.resnet {
      (x, channels) = ResNetGraphBuilder(config: resnet).add(to: &graph, input: x, imageSize: size)
    }
    let p = config.patchSize
    x = graph.add(
      "embedding", .conv2D(Conv2DAttributes(kernelSize: [p, p], strides: [p, p], padding: .valid)), [x],
      shape: [-1, newGrid, newGrid, d],
      weights: [("kernel", "embedding/kernel", [p, p, channels, d]), ("bias", "embedding/bias", [d])])
    let patches = newGrid * newGrid
    x = graph.add("tokens", .reshape(shape: [-1, patches, d]), [x], shape: [-1, patches, d])
    let tokens = patches + (config.classifier.hasClassToken ? 1 : 0)
    if config.classifier.hasClassToken {
      x = graph.add("cls", .classToken, [x], shape: [-1, tokens, d], weights: [("token", "cls", [1, 1, d])])
    }
    let resize =
      newGrid == grid
      ? nil : PositionEmbeddingResize(from: grid, to: newGrid, classToken: config.classifier.hasClassToken)
    x = graph.add(
      "position", .positionEmbedding, [x], shape: [-1, tokens, d],
      weights: [("embedding", "Transformer/posembed_input/pos_embedding", [1, tokens, d])], resize: resize)
    let names = config.naming
    for layer in 0..<config.layers {
      let (block, flax) = ("blocks.\(layer)", "Transformer/encoderblock_\(layer)/")
      var y = graph.add(
        block + ".norm1", .layerNorm(epsilon: 1e-6), [x], shape: [-1, tokens, d],
        weights: norm(flax + names.attentionNorm, d))
      y = graph.add(
        block + ".attention", .multiHeadAttention(heads: config.heads), [y], shape: [-1, tokens, d],
        weights: attention(flax + names.attention))
      x = graph.add(block + ".residual1", .add, [x, y], shape: [-1, tokens, d])
      y = graph.add(
        block + ".norm2", .layerNorm(epsilon: 1e-6), [x], shape: [-1, tokens, d],
        weights: norm(flax + names.mlpNorm, d))
      y = graph.add(
        block + ".mlp.fc1", .dense, [y], shape: [-1, tokens, config.mlpDim],
        weights: [
          ("kernel", flax + names.mlp + "/Dense_0/kernel", [d, config.mlpDim]),
          ("bias", flax + names.mlp + "/Dense_0/bias", [config.mlpDim]),
        ])
      y = graph.add(block + ".mlp.gelu", .gelu(approximation: .tanh), [y], shape: [-1, tokens, config.mlpDim])
      y = graph.add(
        block + ".mlp.fc2", .dense, [y], shape: [-1, tokens, d],
        weights: [
          ("kernel", flax + names.mlp + "/Dense_1/kernel", [config.mlpDim, d]),
          ("bias", flax + names.mlp + "/Dense_1/bias", [d]),
        ])
      x = graph.add(block + ".residual2", .add, [x, y], shape: [-1, tokens, d])
    }
    x = graph.add(
      "encoder_norm", .layerNorm(epsilon: 1e-6), [x], shape: [-1, tokens, d],
      weights: norm("Transformer/encoder_norm", d))
    // Unpooled classifiers keep the token axis all the way through the head.
    let rows: [Int] = config.classifier == .token || config.classifier == .gap ? [-1] : [-1, tokens]
    var pooled = x
    var what = "every token after encoder_norm"
    switch config.classifier {
    case .token:
      pooled = graph.add("pool", .selectToken(index: 0), [x], shape: [-1, d])
      what = "class token after encoder_norm"
    case .gap:
      pooled = graph.add("pool", .mean(axis: 1), [x], shape: [-1, d])
      what = "token mean after encoder_norm"
    case .tokenUnpooled, .unpooled:
      break
    }
    if let r = config.representationSize {
      pooled = graph.add(
        "pre_logits", .dense, [pooled], shape: rows + [r],
        weights: [("kernel", "pre_logits/kernel", [d, r]), ("bias", "pre_logits/bias", [r])])
      pooled = graph.add("pre_logits.tanh", .tanh, [pooled], shape: rows + [r])
      what += ", through the pre_logits Dense and tanh"
    }
    let width = config.preLogitsWidth
    var outputs: [GraphOutput]
    if variant == .classification, let classes = config.classes {
      let head = graph.add(
        "head", .dense, [pooled], shape: rows + [classes],
        weights: [("kernel", "head/kernel", [width, classes]), ("bias", "head/bias", [classes])])
      let perToken = rows.count > 1 ? ", per token" : ""
      outputs = [
        GraphOutput(
          name: "logits", node: head, shape: rows + [classes],
          description: "class logits (before softmax)" + perToken),
        GraphOutput(
          name: "pre_logits", node: pooled, shape: rows + [width], description: what + ": the input of the head"),
      ]
    } else {
      outputs = [GraphOutput(name: "features", node: pooled, shape: rows + [width], description: what)]
    }
    var values: [String: ConfigValue] = [
      "patch_size": .int(p), "hidden_size": .int(d), "num_layers": .int(config.layers), "mlp_dim": .int(config.mlpDim),
      "num_heads": .int(config.heads), "classifier": .string(config.classifier.rawValue), "num_tokens": .int(tokens),
      "image_size": .int(size), "trained_image_size": .int(grid * cell), "naming": .string(names.rawValue),
    ]
    if let r = config.representationSize { values["representation_size"] = .int(r) }
    if variant == .classification, let classes = config.classes { values["num_classes"] = .int(classes) }
    if let resnet = config.resnet {
      values["resnet_stage_units"] = .ints(resnet.stageUnits)
      values["resnet_root_width"] = .int(resnet.rootWidth)
    }
    return ExportPlan(imageSize: size, nodes: graph.nodes, outputs: outputs, weights: graph.weights, config: values)
  }

  private func norm(_ flax: String, _ width: Int) -> [(role: String, source: String, shape: [Int])] {
    [("scale", flax + "/scale", [width]), ("bias", flax + "/bias", [width])]
  }

  private func attention(_ flax: String) -> [(role: String, source: String, shape: [Int])] {
    let (d, h, w) = (config.hiddenSize, config.heads, config.headDim)
    return [
      ("query_kernel", flax + "/query/kernel", [d, h, w]), ("query_bias", flax + "/query/bias", [h, w]),
      ("key_kernel", flax + "/key/kernel", [d, h, w]), ("key_bias", flax + "/key/bias", [h, w]),
      ("value_kernel", flax + "/value/kernel", [d, h, w]), ("value_bias", flax + "/value/bias", [h, w]),
      ("out_kernel", flax + "/out/kernel", [h, w, d]), ("out_bias", flax + "/out/bias", [d]),
    ]
  }
}
