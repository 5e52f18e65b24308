/// The timm architecture a model is built as (`vision_transformer.py`, `mlp_mixer.py`,
/// `vision_transformer_hybrid.py`): the registered name of its size when there is one
/// (`vit_base_patch16_224`, `mixer_b16_224`, `vit_small_r26_s32_224`), otherwise the family's,
/// which `model_args` then resize.
enum TimmArchitecture {
  /// A hybrid stem timm builds: `_resnetv2` with a fixed layer list, 64 wide.
  struct HybridStem {
    var stageUnits: [Int]
    /// The architectures with this stem by ViT width, each with its registered resolutions.
    var names: [Int: (name: String, resolutions: [Int])]
    /// The one used for other widths (`model_args` give the ViT's size).
    var fallback: String
  }

  static let hybridStems = [
    HybridStem(stageUnits: [], names: [192: ("vit_tiny_r_s16_p8", [224, 384])], fallback: "vit_tiny_r_s16_p8"),
    HybridStem(
      stageUnits: [2, 2, 2, 2], names: [384: ("vit_small_r26_s32", [224, 384]), 768: ("vit_base_r26_s32", [224])],
      fallback: "vit_small_r26_s32"),
    HybridStem(stageUnits: [3, 4, 9], names: [768: ("vit_base_r50_s16", [224, 384])], fallback: "vit_base_r50_s16"),
    HybridStem(
      stageUnits: [3, 4, 6, 3], names: [1024: ("vit_large_r50_s32", [224, 384])], fallback: "vit_large_r50_s32"),
  ]
  /// Root width of every timm hybrid stem.
  static let hybridRootWidth = 64

  /// ViT sizes timm names: (width, depth, heads) → size word, with the patch sizes and
  /// resolutions registered for it (all with an MLP four times as wide).
  static let vitSizes: [[Int]: (word: String, registered: [Int: [Int]])] = [
    [192, 12, 3]: ("tiny", [16: [224, 384]]),
    [384, 12, 6]: ("small", [8: [224], 16: [224, 384], 32: [224, 384]]),
    [768, 12, 12]: ("base", [8: [224], 16: [224, 384], 32: [224, 384]]),
    [1024, 24, 16]: ("large", [14: [224], 16: [224, 384], 32: [224, 384]]),
    [1280, 32, 16]: ("huge", [14: [224]]),
  ]

  /// The Mixer sizes timm registers, by (width, blocks), each at patch 16 and 32. Their
  /// architecture functions fix patch, blocks and width and refuse them as arguments, so no
  /// other Mixer can be built from a config.
  static let mixerSizes: [[Int]: String] = [[512, 8]: "s", [768, 12]: "b", [1024, 24]: "l"]
  static let mixerPatches: Set<Int> = [16, 32]

  /// Why timm cannot build the model from a config, when it cannot.
  static func refusal(_ model: CanonicalModel) -> String? {
    switch model.family {
    case .mixer(let mixer):
      guard mixerSizes[[mixer.width, mixer.blocks]] == nil || !mixerPatches.contains(mixer.patchSize) else {
        return nil
      }
      return
        "timm builds MLP-Mixer only in its registered sizes (S, B, L with patch 16 or 32: 512, 768, 1024 wide with "
        + "8, 12, 24 blocks), whose architectures fix patch, blocks and width; this one has patch \(mixer.patchSize), "
        + "\(mixer.blocks) blocks, \(mixer.width) wide"
    case .vit(let vit):
      if vit.representation != nil {
        return "timm's VisionTransformer has no representation (pre_logits) layer"
      }
      if let stem = vit.stem, hybridStem(stem) == nil {
        let known = hybridStems.map { $0.stageUnits.isEmpty ? "root only" : "(\(list($0.stageUnits)))" }
        return "timm's hybrid architectures build their ResNet stem with units \(known.joined(separator: ", ")), "
          + "\(hybridRootWidth) wide; this one has units (\(list(stem.stageUnits))), \(stem.rootWidth) wide"
      }
      return nil
    }
  }

  /// The architecture name (the model must be one timm can build).
  static func name(_ model: CanonicalModel) -> String {
    switch model.family {
    case .mixer(let mixer):
      return "mixer_\(mixerSizes[[mixer.width, mixer.blocks]]!)\(mixer.patchSize)_224"
    case .vit(let vit):
      if let stem = vit.stem {
        let family = hybridStem(stem)!
        guard let sized = family.names[vit.width] else { return family.fallback + "_224" }
        return sized.name + "_\(sized.resolutions.contains(model.imageSize) ? model.imageSize : 224)"
      }
      guard let size = vitSizes[[vit.width, vit.depth, vit.heads]], vit.mlp == 4 * vit.width,
        let resolutions = size.registered[vit.patchSize]
      else { return "vit_base_patch16_224" }
      return "vit_\(size.word)_patch\(vit.patchSize)_\(resolutions.contains(model.imageSize) ? model.imageSize : 224)"
    }
  }

  private static func hybridStem(_ stem: CanonicalModel.ResNetStem) -> HybridStem? {
    stem.rootWidth == hybridRootWidth ? hybridStems.first { $0.stageUnits == stem.stageUnits } : nil
  }

  private static func list(_ numbers: [Int]) -> String { numbers.map(String.init).joined(separator: ", ") }
}
