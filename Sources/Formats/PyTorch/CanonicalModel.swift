import Graph

/// The model a canonical graph computes, read from its nodes and weight shapes
/// (formats/names-*.md): the hyper-parameters the PyTorch libraries' configurations name.
struct CanonicalModel: Equatable {
  /// An MLP-Mixer.
  struct Mixer: Equatable {
    var patchSize: Int
    var width: Int
    var blocks: Int
    /// Number of tokens, which the token-mixing weights fix.
    var tokens: Int
    var tokenMLP: Int
    var channelMLP: Int
  }

  /// A Vision Transformer, with the ResNet stem of a hybrid.
  struct ViT: Equatable {
    var patchSize: Int
    var width: Int
    var depth: Int
    var heads: Int
    var mlp: Int
    var classToken: Bool
    var pooling: Pooling
    /// Width of the representation (`pre_logits`) layer, when there is one.
    var representation: Int?
    var stem: ResNetStem?
  }

  /// How a ViT reduces its tokens before the head.
  enum Pooling: Equatable {
    /// The class token's final state (classifier `token`).
    case classToken
    /// The mean over all tokens (classifier `gap`).
    case mean
    /// None: the head sees every token (`token_unpooled`, `unpooled`).
    case none
  }

  /// The ResNet v2 stem of a hybrid.
  struct ResNetStem: Equatable {
    var rootWidth: Int
    var stageUnits: [Int]
  }

  enum Family: Equatable {
    case mixer(Mixer)
    case vit(ViT)
  }

  var family: Family
  /// Input side in pixels.
  var imageSize: Int
  /// Classes of the head; nil when the export outputs features.
  var classes: Int?

  /// Reads the model from a canonical graph's nodes, its weights' canonical shapes and its
  /// input contract.
  ///
  /// - Throws: ``ExportFileError`` when the graph is not one of the families.
  init(nodes: [Node], shapes: CanonicalShapes, input: InputContract) throws {
    let names = Set(nodes.map(\.name))
    let depth = (0...).prefix { names.contains("blocks.\($0).norm1") }.count
    imageSize = input.shape[1]
    classes = shapes.byName["head.kernel"]?.last
    if shapes.contains("stem.kernel") {
      let stem = try shapes.of("stem.kernel", rank: 4)
      let tokenMixing = try shapes.of("blocks.0.token_mixing.fc1.kernel", rank: 2)
      family = .mixer(
        Mixer(
          patchSize: stem[0], width: stem[3], blocks: depth, tokens: tokenMixing[0],
          tokenMLP: tokenMixing[1], channelMLP: try shapes.of("blocks.0.channel_mixing.fc1.kernel", rank: 2)[1]))
      return
    }
    let embedding = try shapes.of("embedding.kernel", rank: 4)
    let pool = nodes.first { $0.name == "pool" }?.operation
    var stem: ResNetStem?
    if shapes.contains("stem.root.conv.kernel") {
      let units = (0...).prefix { stage in shapes.contains("stem.stages.\(stage).units.0.conv1.kernel") }.map { stage in
        (0...).prefix { shapes.contains("stem.stages.\(stage).units.\($0).conv1.kernel") }.count
      }
      stem = ResNetStem(rootWidth: try shapes.of("stem.root.conv.kernel", rank: 4)[3], stageUnits: units)
    }
    let pooling: Pooling =
      switch pool {
      case .selectToken: .classToken
      case .mean: .mean
      default: .none
      }
    family = .vit(
      ViT(
        patchSize: embedding[0], width: embedding[3], depth: depth,
        heads: try shapes.of("blocks.0.attention.query_kernel", rank: 3)[1],
        mlp: try shapes.of("blocks.0.mlp.fc1.kernel", rank: 2)[1], classToken: shapes.contains("cls.token"),
        pooling: pooling, representation: shapes.byName["pre_logits.kernel"]?.last, stem: stem))
  }
}

extension CanonicalModel {
  /// The model a conversion is writing.
  init(_ request: ExportWriteRequest) throws {
    try self.init(nodes: request.nodes, shapes: CanonicalShapes(request), input: request.input)
  }
}
