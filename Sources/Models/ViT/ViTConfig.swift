/// How a ViT pools its token sequence before the head (upstream's `classifier` setting).
public enum ViTClassifier: String, Sendable, Codable, CaseIterable {
  /// A learned class token is prepended; its final state is the output.
  case token
  /// No class token; the output is the mean over all tokens.
  case gap
  /// A class token is prepended and nothing is pooled: every token goes through the head.
  case tokenUnpooled = "token_unpooled"
  /// No class token and nothing pooled: every token goes through the head.
  case unpooled

  /// Whether a class token (`cls`) is prepended to the patch tokens.
  public var hasClassToken: Bool { self == .token || self == .tokenUnpooled }

  /// The classifiers a checkpoint with (or without) a class token can be exported with.
  public static func choices(classToken: Bool) -> [ViTClassifier] {
    allCases.filter { $0.hasClassToken == classToken }
  }
}

/// The two spellings of the module names inside an encoder block.
public enum BlockNaming: String, Sendable, Codable, CaseIterable {
  /// The released `.npz` files (pre-Linen Flax: one counter per parent module).
  case released
  /// Current Flax Linen (one counter per module type).
  case linen

  /// Name of the LayerNorm before attention.
  public var attentionNorm: String { "LayerNorm_0" }
  /// Name of the attention module.
  public var attention: String {
    self == .released ? "MultiHeadDotProductAttention_1" : "MultiHeadDotProductAttention_0"
  }
  /// Name of the LayerNorm before the MLP.
  public var mlpNorm: String { self == .released ? "LayerNorm_2" : "LayerNorm_1" }
  /// Name of the MLP module.
  public var mlp: String { self == .released ? "MlpBlock_3" : "MlpBlock_0" }
}

/// The hyper-parameters of a Vision Transformer (optionally with a ResNet stem), as far as
/// they shape the weights.
public struct ViTConfig: Sendable, Hashable, Codable {
  /// Patch side `P` of the embedding convolution (1 for the R50/R26 hybrids).
  public var patchSize: Int
  /// Token width `D` (`hidden_size`).
  public var hiddenSize: Int
  /// Number of encoder blocks.
  public var layers: Int
  /// Hidden width of the MLP blocks (`mlp_dim`).
  public var mlpDim: Int
  /// Number of attention heads.
  public var heads: Int
  /// Pooling before the head.
  public var classifier: ViTClassifier
  /// Width of the representation layer (`pre_logits`, Dense then tanh), when present.
  public var representationSize: Int?
  /// Number of classes of the head, or nil when there is no head.
  public var classes: Int?
  /// Length `T` of the position embedding (patch tokens, plus one for a class token).
  public var tokens: Int
  /// The ResNet stem of a hybrid, or nil for a plain ViT.
  public var resnet: ResNetConfig?
  /// Spelling of the encoder-block module names.
  public var naming: BlockNaming

  public init(
    patchSize: Int, hiddenSize: Int, layers: Int, mlpDim: Int, heads: Int, classifier: ViTClassifier,
    representationSize: Int?, classes: Int?, tokens: Int, resnet: ResNetConfig?, naming: BlockNaming
  ) {
    self.patchSize = patchSize
    self.hiddenSize = hiddenSize
    self.layers = layers
    self.mlpDim = mlpDim
    self.heads = heads
    self.classifier = classifier
    self.representationSize = representationSize
    self.classes = classes
    self.tokens = tokens
    self.resnet = resnet
    self.naming = naming
  }

  /// Width of one attention head.
  public var headDim: Int { hiddenSize / heads }

  /// Channels entering the patch embedding: 3, or the ResNet stem's output width.
  public var embeddingInputChannels: Int { resnet?.outputChannels ?? 3 }

  /// Number of patch tokens (the position embedding without the class-token row).
  public var patchTokens: Int { tokens - (classifier.hasClassToken ? 1 : 0) }

  /// Pixels per patch-grid cell: the patch size times the ResNet stem's downsampling.
  public var pixelsPerToken: Int { patchSize * (resnet?.totalStride ?? 1) }

  /// Input side in pixels for a square image, when the patch tokens form a square grid.
  public var imageSize: Int? { exactSquareRoot(patchTokens).map { $0 * pixelsPerToken } }

  /// Width of the vector the head sees.
  public var preLogitsWidth: Int { representationSize ?? hiddenSize }

  /// Every parameter, in upstream module order (checkpoint-layout.md sections 4.1 and 5.1).
  public var layout: [ParamSpec] {
    let d = hiddenSize
    var specs = resnet?.layout ?? []
    let p = patchSize
    let cin = embeddingInputChannels
    specs.append(ParamSpec("embedding/kernel", [p, p, cin, d], .kernel(fanIn: p * p * cin)))
    specs.append(ParamSpec("embedding/bias", [d], .bias))
    if classifier.hasClassToken { specs.append(ParamSpec("cls", [1, 1, d], .embedding)) }
    specs.append(ParamSpec("Transformer/posembed_input/pos_embedding", [1, tokens, d], .embedding))
    for layer in 0..<layers {
      let block = "Transformer/encoderblock_\(layer)"
      specs.layerNorm(block + "/" + naming.attentionNorm, d)
      let attention = block + "/" + naming.attention
      for projection in ["query", "key", "value"] {
        specs.append(ParamSpec("\(attention)/\(projection)/kernel", [d, heads, headDim], .kernel(fanIn: d)))
        specs.append(ParamSpec("\(attention)/\(projection)/bias", [heads, headDim], .bias))
      }
      specs.append(ParamSpec(attention + "/out/kernel", [heads, headDim, d], .kernel(fanIn: heads * headDim)))
      specs.append(ParamSpec(attention + "/out/bias", [d], .bias))
      specs.layerNorm(block + "/" + naming.mlpNorm, d)
      specs.dense(block + "/" + naming.mlp + "/Dense_0", d, mlpDim)
      specs.dense(block + "/" + naming.mlp + "/Dense_1", mlpDim, d)
    }
    specs.layerNorm("Transformer/encoder_norm", d)
    if let representationSize { specs.dense("pre_logits", d, representationSize) }
    if let classes { specs.dense("head", preLogitsWidth, classes) }
    return specs
  }
}
