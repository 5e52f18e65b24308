import Checkpoint

/// Derives a ``MixerConfig`` from a checkpoint's anchor tensors.
enum MixerRecognizer {
  static func derive(_ tree: ParamTree) throws -> (ModelArchitecture, [String]) {
    let stem = try ModelRecognizer.shape(tree, "stem/kernel", rank: 4, expected: "(P, P, 3, D)")
    guard stem[0] == stem[1], stem[2] == 3 else {
      throw UnrecognizedModel("'stem/kernel' has shape \(shapeText(stem)), expected (P, P, 3, D)")
    }
    let blocks = ModelRecognizer.count(tree, "", "MixerBlock_")
    guard blocks > 0 else { throw UnrecognizedModel("MLP-Mixer stem found but no 'MixerBlock_0'") }
    let token = try ModelRecognizer.shape(
      tree, "MixerBlock_0/token_mixing/Dense_0/kernel", rank: 2, expected: "(S, Ds)")
    let channel = try ModelRecognizer.shape(
      tree, "MixerBlock_0/channel_mixing/Dense_0/kernel", rank: 2, expected: "(D, Dc)")
    let config = MixerConfig(
      patchSize: stem[0], hiddenDim: stem[3], blocks: blocks, tokensMLPDim: token[1],
      channelsMLPDim: channel[1], tokens: token[0], classes: ModelRecognizer.classes(tree))
    var problems: [String] = []
    if exactSquareRoot(config.tokens) == nil {
      problems.append("\(config.tokens) tokens do not form a square patch grid")
    }
    return (.mixer(config), problems)
  }
}
