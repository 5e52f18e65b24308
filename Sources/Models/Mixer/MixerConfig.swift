/// The hyper-parameters of an MLP-Mixer, as far as they shape the weights.
public struct MixerConfig: Sendable, Hashable, Codable {
  /// Patch side `P` (the stem is a `P×P` convolution with stride `P`).
  public var patchSize: Int
  /// Channel width `D` (`hidden_dim`).
  public var hiddenDim: Int
  /// Number of Mixer blocks `L`.
  public var blocks: Int
  /// Hidden width of the token-mixing MLP (`tokens_mlp_dim`).
  public var tokensMLPDim: Int
  /// Hidden width of the channel-mixing MLP (`channels_mlp_dim`).
  public var channelsMLPDim: Int
  /// Number of tokens `S`, fixed by the token-mixing weights (196 at 224 px with 16 px patches).
  public var tokens: Int
  /// Number of classes of the head, or nil when there is no head.
  public var classes: Int?

  public init(
    patchSize: Int, hiddenDim: Int, blocks: Int, tokensMLPDim: Int, channelsMLPDim: Int,
    tokens: Int, classes: Int?
  ) {
    self.patchSize = patchSize
    self.hiddenDim = hiddenDim
    self.blocks = blocks
    self.tokensMLPDim = tokensMLPDim
    self.channelsMLPDim = channelsMLPDim
    self.tokens = tokens
    self.classes = classes
  }

  /// Input side in pixels for a square image, when the token count is a square.
  public var imageSize: Int? { exactSquareRoot(tokens).map { $0 * patchSize } }

  /// Every parameter, in upstream module order (checkpoint-layout.md section 3.1).
  public var layout: [ParamSpec] {
    let d = hiddenDim
    var specs: [ParamSpec] = []
    specs.append(ParamSpec("stem/kernel", [patchSize, patchSize, 3, d], .kernel(fanIn: patchSize * patchSize * 3)))
    specs.append(ParamSpec("stem/bias", [d], .bias))
    for block in 0..<blocks {
      let prefix = "MixerBlock_\(block)"
      specs.layerNorm(prefix + "/LayerNorm_0", d)
      specs.dense(prefix + "/token_mixing/Dense_0", tokens, tokensMLPDim)
      specs.dense(prefix + "/token_mixing/Dense_1", tokensMLPDim, tokens)
      specs.layerNorm(prefix + "/LayerNorm_1", d)
      specs.dense(prefix + "/channel_mixing/Dense_0", d, channelsMLPDim)
      specs.dense(prefix + "/channel_mixing/Dense_1", channelsMLPDim, d)
    }
    specs.layerNorm("pre_head_layer_norm", d)
    if let classes { specs.dense("head", d, classes) }
    return specs
  }
}
