/// A named configuration from google-research/vision_transformer (or the MLP-Mixer paper).
public struct CatalogEntry: Sendable {
  /// The upstream model name, as in `configs/models.py` and the checkpoint file names
  /// (`Mixer-B_16`, `ViT-B_16`, `R50+ViT-B_16`).
  public let name: String
  /// The architecture at 224 px with a 1000-class head and the released block naming.
  public let architecture: ModelArchitecture

  /// The name as people write it, with a slash before the patch size (`ViT-B/16`).
  public var displayName: String { ModelCatalog.displayName(name) }
}

/// Every released configuration, for `synth` and for naming recognised checkpoints.
public enum ModelCatalog {
  /// Default input side of the released checkpoints.
  public static let defaultImageSize = 224
  /// Default head size (ImageNet-1k).
  public static let defaultClasses = 1000

  /// All entries: ViT, gap-norep and hybrid configs of checkpoint-layout.md section 7, then
  /// the Mixer sizes (the three upstream configs and the others of the MLP-Mixer paper).
  public static let entries: [CatalogEntry] = vitEntries + hybridEntries + mixerEntries

  /// The entry whose name matches `name`, ignoring case.
  public static func entry(named name: String) -> CatalogEntry? {
    let wanted = name.lowercased().replacingOccurrences(of: "/", with: "_")
    return entries.first { $0.name.lowercased() == wanted }
  }

  /// `ViT-B_16` → `ViT-B/16`.
  public static func displayName(_ upstream: String) -> String {
    guard let underscore = upstream.firstIndex(of: "_") else { return upstream }
    return upstream.replacingCharacters(in: underscore...underscore, with: "/")
  }

  /// The catalog entry with the same architecture, ignoring head, resolution, representation
  /// layer and naming — the things that vary between checkpoints of one model.
  public static func match(_ architecture: ModelArchitecture) -> CatalogEntry? {
    entries.first { $0.architecture.shapeKey == architecture.shapeKey }
  }

  private static func mixer(
    _ name: String, patch: Int, hidden: Int, blocks: Int, tokensMLP: Int, channelsMLP: Int
  )
    -> CatalogEntry
  {
    let grid = defaultImageSize / patch
    return CatalogEntry(
      name: name,
      architecture: .mixer(
        MixerConfig(
          patchSize: patch, hiddenDim: hidden, blocks: blocks, tokensMLPDim: tokensMLP, channelsMLPDim: channelsMLP,
          tokens: grid * grid, classes: defaultClasses)))
  }

  private static func vit(
    _ name: String, patch: Int, hidden: Int, layers: Int, mlp: Int, heads: Int,
    classifier: ViTClassifier = .token, resnet: ResNetConfig? = nil
  ) -> CatalogEntry {
    let grid = defaultImageSize / (patch * (resnet?.totalStride ?? 1))
    return CatalogEntry(
      name: name,
      architecture: .vit(
        ViTConfig(
          patchSize: patch, hiddenSize: hidden, layers: layers, mlpDim: mlp, heads: heads, classifier: classifier,
          representationSize: nil, classes: defaultClasses, tokens: grid * grid + (classifier.hasClassToken ? 1 : 0),
          resnet: resnet, naming: .released)))
  }

  private static let vitEntries: [CatalogEntry] = [
    vit("ViT-Ti_16", patch: 16, hidden: 192, layers: 12, mlp: 768, heads: 3),
    vit("ViT-S_16", patch: 16, hidden: 384, layers: 12, mlp: 1536, heads: 6),
    vit("ViT-B_16", patch: 16, hidden: 768, layers: 12, mlp: 3072, heads: 12),
    vit("ViT-L_16", patch: 16, hidden: 1024, layers: 24, mlp: 4096, heads: 16),
    vit("ViT-H_14", patch: 14, hidden: 1280, layers: 32, mlp: 5120, heads: 16),
    vit("ViT-S_16-gap-norep", patch: 16, hidden: 384, layers: 12, mlp: 1536, heads: 6, classifier: .gap),
    vit("ViT-B_16-gap-norep", patch: 16, hidden: 768, layers: 12, mlp: 3072, heads: 12, classifier: .gap),
    vit("ViT-B_8", patch: 8, hidden: 768, layers: 12, mlp: 3072, heads: 12),
    vit("ViT-S_32", patch: 32, hidden: 384, layers: 12, mlp: 1536, heads: 6),
    vit("ViT-B_32", patch: 32, hidden: 768, layers: 12, mlp: 3072, heads: 12),
    vit("ViT-L_32", patch: 32, hidden: 1024, layers: 24, mlp: 4096, heads: 16),
    vit("ViT-S_32-gap-norep", patch: 32, hidden: 384, layers: 12, mlp: 1536, heads: 6, classifier: .gap),
    vit("ViT-B_32-gap-norep", patch: 32, hidden: 768, layers: 12, mlp: 3072, heads: 12, classifier: .gap),
  ]

  private static let hybridEntries: [CatalogEntry] = [
    vit(
      "R+ViT-Ti_16", patch: 8, hidden: 192, layers: 12, mlp: 768, heads: 3,
      resnet: ResNetConfig(stageUnits: [], rootWidth: 64)),
    vit(
      "R50+ViT-B_16", patch: 1, hidden: 768, layers: 12, mlp: 3072, heads: 12,
      resnet: ResNetConfig(stageUnits: [3, 4, 9], rootWidth: 64)),
    vit(
      "R26+ViT-B_32", patch: 1, hidden: 768, layers: 12, mlp: 3072, heads: 12,
      resnet: ResNetConfig(stageUnits: [2, 2, 2, 2], rootWidth: 64)),
    vit(
      "R26+ViT-S_32", patch: 1, hidden: 384, layers: 12, mlp: 1536, heads: 6,
      resnet: ResNetConfig(stageUnits: [2, 2, 2, 2], rootWidth: 64)),
    vit(
      "R50+ViT-L_32", patch: 1, hidden: 1024, layers: 24, mlp: 4096, heads: 16,
      resnet: ResNetConfig(stageUnits: [3, 4, 6, 3], rootWidth: 64)),
  ]

  private static let mixerEntries: [CatalogEntry] = [
    mixer("Mixer-S_32", patch: 32, hidden: 512, blocks: 8, tokensMLP: 256, channelsMLP: 2048),
    mixer("Mixer-S_16", patch: 16, hidden: 512, blocks: 8, tokensMLP: 256, channelsMLP: 2048),
    mixer("Mixer-B_32", patch: 32, hidden: 768, blocks: 12, tokensMLP: 384, channelsMLP: 3072),
    mixer("Mixer-B_16", patch: 16, hidden: 768, blocks: 12, tokensMLP: 384, channelsMLP: 3072),
    mixer("Mixer-L_32", patch: 32, hidden: 1024, blocks: 24, tokensMLP: 512, channelsMLP: 4096),
    mixer("Mixer-L_16", patch: 16, hidden: 1024, blocks: 24, tokensMLP: 512, channelsMLP: 4096),
    mixer("Mixer-H_14", patch: 14, hidden: 1280, blocks: 32, tokensMLP: 640, channelsMLP: 5120),
  ]
}

extension ModelArchitecture {
  /// The hyper-parameters that identify a catalog model: everything but the head, the
  /// resolution, the representation layer and the naming era.
  fileprivate var shapeKey: String {
    switch self {
    case .mixer(let c):
      return "mixer \(c.patchSize) \(c.hiddenDim) \(c.blocks) \(c.tokensMLPDim) \(c.channelsMLPDim)"
    case .vit(let c):
      let stem = c.resnet.map { "\($0.stageUnits) \($0.rootWidth)" } ?? "-"
      return "vit \(c.patchSize) \(c.hiddenSize) \(c.layers) \(c.mlpDim) \(c.heads) \(c.classifier) \(stem)"
    }
  }
}
