import Checkpoint

/// Derives a ``ViTConfig`` (with its ResNet stem, for hybrids) from a checkpoint's anchors.
enum ViTRecognizer {
  static func derive(_ tree: ParamTree) throws -> (ModelArchitecture, [String]) {
    let embedding = try ModelRecognizer.shape(tree, "embedding/kernel", rank: 4, expected: "(P, P, C, D)")
    guard embedding[0] == embedding[1] else {
      throw UnrecognizedModel(
        "'embedding/kernel' has shape \(shapeText(embedding)), expected square patches (P, P, C, D)")
    }
    let d = embedding[3]
    let layers = ModelRecognizer.count(tree, "Transformer/", "encoderblock_")
    guard layers > 0 else { throw UnrecognizedModel("ViT embedding found but no 'Transformer/encoderblock_0'") }
    let naming: BlockNaming
    if tree.containsSubtree("Transformer/encoderblock_0/" + BlockNaming.released.attention) {
      naming = .released
    } else if tree.containsSubtree("Transformer/encoderblock_0/" + BlockNaming.linen.attention) {
      naming = .linen
    } else {
      throw UnrecognizedModel("'Transformer/encoderblock_0' has no MultiHeadDotProductAttention module")
    }
    let block = "Transformer/encoderblock_0/"
    let query = try ModelRecognizer.shape(
      tree, block + naming.attention + "/query/kernel", rank: 3, expected: "(D, heads, head_dim)")
    let mlp = try ModelRecognizer.shape(tree, block + naming.mlp + "/Dense_0/kernel", rank: 2, expected: "(D, M)")
    let position = try ModelRecognizer.shape(
      tree, "Transformer/posembed_input/pos_embedding", rank: 3, expected: "(1, T, D)")
    let classifier: ViTClassifier = tree.contains("cls") ? .token : .gap
    var representation: Int?
    if let shape = tree.shape("pre_logits/kernel"), shape.count == 2 { representation = shape[1] }
    let resnet = try tree.contains("conv_root/kernel") ? ResNetRecognizer.derive(tree) : nil

    var problems: [String] = []
    let heads = query[1]
    if d % heads != 0 || query[1] * query[2] != d {
      problems.append("attention has \(heads) heads of width \(query[2]), which do not divide the hidden size \(d)")
    }
    let config = ViTConfig(
      patchSize: embedding[0], hiddenSize: d, layers: layers, mlpDim: mlp[1], heads: heads,
      classifier: classifier, representationSize: representation,
      classes: ModelRecognizer.classes(tree), tokens: position[1], resnet: resnet, naming: naming)
    if config.patchTokens <= 0 || exactSquareRoot(config.patchTokens) == nil {
      let what = classifier.hasClassToken ? " (after the class-token row)" : ""
      problems.append(
        "position embedding has \(position[1]) rows: \(config.patchTokens) patch tokens\(what) do not form a square grid"
      )
    }
    if let resnet { problems += ResNetRecognizer.problems(resnet) }
    return (.vit(config), problems)
  }
}
