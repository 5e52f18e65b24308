import Graph

/// A model in timm's layout (formats/timm-layout.md): the state dict of timm's `MlpMixer` or
/// `VisionTransformer` (with the `ResNetV2` stem of its hybrids, keyed as timm's own npz loader
/// `_load_weights` maps them), and the folder's `config.json`.
struct TimmLayout: LibraryLayout {
  let model: CanonicalModel
  let tensors: [LibraryTensor]
  private let labels: [ClassLabel]?

  static func refusal(_ model: CanonicalModel) -> String? { TimmArchitecture.refusal(model) }

  /// The layout of a model timm can build (``TimmArchitecture/refusal(_:)`` is nil).
  init(_ model: CanonicalModel, shapes: CanonicalShapes, labels: [ClassLabel]?) throws {
    self.model = model
    self.labels = labels
    var list = LibraryTensorList(shapes: shapes)
    switch model.family {
    case .mixer(let mixer):
      try list.conv("stem.proj.weight", "stem.kernel")
      try list.copy("stem.proj.bias", "stem.bias")
      for i in 0..<mixer.blocks {
        try list.norm("blocks.\(i).norm1", "blocks.\(i).norm1")
        try list.linear("blocks.\(i).mlp_tokens.fc1", "blocks.\(i).token_mixing.fc1")
        try list.linear("blocks.\(i).mlp_tokens.fc2", "blocks.\(i).token_mixing.fc2")
        try list.norm("blocks.\(i).norm2", "blocks.\(i).norm2")
        try list.linear("blocks.\(i).mlp_channels.fc1", "blocks.\(i).channel_mixing.fc1")
        try list.linear("blocks.\(i).mlp_channels.fc2", "blocks.\(i).channel_mixing.fc2")
      }
      try list.norm("norm", "pre_head_norm")
    case .vit(let vit):
      if let stem = vit.stem {
        // A root-only stem is timm's bare stem Sequential; a staged one a ResNetV2 with `stem`.
        let root = stem.stageUnits.isEmpty ? "patch_embed.backbone." : "patch_embed.backbone.stem."
        try list.conv(root + "conv.weight", "stem.root.conv.kernel")
        try list.norm(root + "norm", "stem.root.norm")
        for (s, units) in stem.stageUnits.enumerated() {
          for u in 0..<units {
            let (block, unit) = ("patch_embed.backbone.stages.\(s).blocks.\(u).", "stem.stages.\(s).units.\(u).")
            if shapes.contains(unit + "projection.conv.kernel") {
              try list.conv(block + "downsample.conv.weight", unit + "projection.conv.kernel")
              try list.norm(block + "downsample.norm", unit + "projection.norm")
            }
            for r in 1...3 {
              try list.conv(block + "conv\(r).weight", unit + "conv\(r).kernel")
              try list.norm(block + "norm\(r)", unit + "norm\(r)")
            }
          }
        }
      }
      try list.conv("patch_embed.proj.weight", "embedding.kernel")
      try list.copy("patch_embed.proj.bias", "embedding.bias")
      if vit.classToken { try list.copy("cls_token", "cls.token") }
      try list.copy("pos_embed", "position.embedding")
      let d = vit.width
      for i in 0..<vit.depth {
        let (block, attention) = ("blocks.\(i).", "blocks.\(i).attention.")
        try list.norm(block + "norm1", block + "norm1")
        // Query, key and value stacked along the output axis, as timm's fused `qkv`.
        let projections = ["query", "key", "value"]
        list.append(
          .stacked(
            block + "attn.qkv.weight", projections.map { .attentionKernel(attention + $0 + "_kernel", width: d) }))
        list.append(
          .stacked(block + "attn.qkv.bias", projections.map { .flattened(attention + $0 + "_bias", count: d) }))
        list.append(.stacked(block + "attn.proj.weight", [.attentionKernel(attention + "out_kernel", width: d)]))
        try list.copy(block + "attn.proj.bias", attention + "out_bias")
        try list.norm(block + "norm2", block + "norm2")
        try list.linear(block + "mlp.fc1", block + "mlp.fc1")
        try list.linear(block + "mlp.fc2", block + "mlp.fc2")
      }
      // The original normalises before pooling: timm's `norm` (fc_norm off).
      try list.norm("norm", "encoder_norm")
    }
    if model.classes != nil { try list.linear("head", "head") }
    tensors = list.tensors
  }

  var notes: [String] {
    switch model.family {
    case .mixer:
      [
        "timm builds MLP-Mixer with exact (erf) GELU and cannot name another in config.json: load it with "
          + "timm.create_model('local-dir:OUT', pretrained=True, act_layer=timm.layers.GELUTanh) for the original "
          + "tanh-approximated GELU"
      ]
    case .vit(let vit) where vit.stem != nil:
      [
        "timm's hybrid stem standardises each kernel as (w − mean) / sqrt(var + 1e-8) and its GroupNorm adds 1e-5, "
          + "where the original divides by (std + 1e-5) and adds 1e-6; neither is configurable, so timm's outputs "
          + "differ slightly from the original's (formats/timm-layout.md gives the size)"
      ]
    case .vit:
      []
    }
  }

  var config: TimmConfig {
    let pool: String
    let args: TimmModelArgs
    switch model.family {
    case .mixer(let mixer):
      pool = "avg"
      args = TimmModelArgs(
        numClasses: model.classes ?? 0, imgSize: model.imageSize, globalPool: pool,
        mlpRatio: .pair(
          TimmModelArgs.MLPRatio.ratio(mixer.tokenMLP, of: mixer.width),
          TimmModelArgs.MLPRatio.ratio(mixer.channelMLP, of: mixer.width)))
    case .vit(let vit):
      pool =
        switch vit.pooling {
        case .classToken: "token"
        case .mean: "avg"
        case .none: ""
        }
      args = TimmModelArgs(
        numClasses: model.classes ?? 0, imgSize: model.imageSize, patchSize: vit.patchSize, embedDim: vit.width,
        globalPool: pool, mlpRatio: .single(TimmModelArgs.MLPRatio.ratio(vit.mlp, of: vit.width)), depth: vit.depth,
        numHeads: vit.heads,
        classToken: vit.classToken, fcNorm: false, actLayer: "gelu_tanh")
    }
    let width: Int =
      switch model.family {
      case .mixer(let mixer): mixer.width
      case .vit(let vit): vit.width
      }
    let wordnetIDs = labels.flatMap { labels in
      labels.allSatisfy { $0.wordnetID != nil } ? labels.map { $0.wordnetID! } : nil
    }
    return TimmConfig(
      architecture: TimmArchitecture.name(model), numClasses: model.classes ?? 0, numFeatures: width, globalPool: pool,
      modelArgs: args,
      pretrainedCfg: TimmPretrainedConfig(
        inputSize: [3, model.imageSize, model.imageSize], numClasses: model.classes ?? 0,
        firstConv: firstConv),
      labelNames: wordnetIDs,
      labelDescriptions: wordnetIDs.map {
        Dictionary(zip($0, labels!.map(\.name)), uniquingKeysWith: { first, _ in first })
      })
  }

  /// The first convolution, which timm adapts for other input channel counts.
  private var firstConv: String {
    switch model.family {
    case .mixer: "stem.proj"
    case .vit(let vit):
      switch vit.stem {
      case nil: "patch_embed.proj"
      case let stem? where stem.stageUnits.isEmpty: "patch_embed.backbone.conv"
      case _?: "patch_embed.backbone.stem.conv"
      }
    }
  }

  static let fileNames: Set<String> = [LibraryFolder.configFile, LibraryFolder.readmeFile]

  func files(header: ExportHeader) throws -> [(name: String, bytes: [UInt8])] {
    [(LibraryFolder.configFile, try BundleLayout.json(config)), (LibraryFolder.readmeFile, Array(readme(header).utf8))]
  }

  private func readme(_ header: ExportHeader) -> String {
    let overrides = if case .mixer = model.family { ", act_layer=timm.layers.GELUTanh" } else { "" }
    let input = model.imageSize
    return LibraryReadme.text(
      header, library: "timm",
      loading: """
        import timm, torch
        model = timm.create_model("local-dir:.", pretrained=True\(overrides)).eval()
        config = timm.data.resolve_data_config(model=model)   # \(input)×\(input), bilinear, no crop, mean = std = 0.5
        transform = timm.data.create_transform(**config)
        """, notes: notes)
  }
}
