/// timm's `config.json` for a local folder (`timm.create_model('local-dir:OUT', pretrained=True)`
/// reads it with `load_model_config_from_path`): the architecture, `model_args` that the
/// architecture function receives as keyword arguments, and `pretrained_cfg`, the data
/// configuration (`timm.data.resolve_data_config`).
struct TimmConfig: Encodable {
  var architecture: String
  var numClasses: Int
  var numFeatures: Int
  var globalPool: String
  var modelArgs: TimmModelArgs
  var pretrainedCfg: TimmPretrainedConfig
  /// WordNet ids of the classes, in head order (timm's `ImageNetInfo` vocabulary).
  var labelNames: [String]?
  /// WordNet id → class name.
  var labelDescriptions: [String: String]?

  enum CodingKeys: String, CodingKey {
    case architecture, numClasses = "num_classes", numFeatures = "num_features", globalPool = "global_pool"
    case modelArgs = "model_args", pretrainedCfg = "pretrained_cfg", labelNames = "label_names"
    case labelDescriptions = "label_descriptions"
  }
}

/// The keyword arguments of `MlpMixer` or `VisionTransformer` that the export fixes; absent
/// ones keep timm's defaults.
struct TimmModelArgs: Encodable {
  var numClasses: Int
  var imgSize: Int
  /// ViT (a Mixer's architecture fixes it, and its width).
  var patchSize: Int?
  var embedDim: Int?
  var globalPool: String
  var mlpRatio: MLPRatio
  /// ViT.
  var depth: Int?
  var numHeads: Int?
  var classToken: Bool?
  /// ViT: normalise before pooling (`norm`), as the original, rather than after (`fc_norm`).
  var fcNorm: Bool?
  /// ViT: the activation by name (`gelu_tanh`); timm's Mixer takes a class, which JSON cannot name.
  var actLayer: String?

  /// timm multiplies the width by each ratio and truncates: `int(ratio * dim)`.
  enum MLPRatio: Encodable {
    case single(Double)
    case pair(Double, Double)

    func encode(to encoder: Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .single(let ratio): try container.encode(ratio)
      case .pair(let tokens, let channels): try container.encode([tokens, channels])
      }
    }

    /// The ratio whose product with `width`, truncated as timm does, is `hidden`.
    static func ratio(_ hidden: Int, of width: Int) -> Double {
      var ratio = Double(hidden) / Double(width)
      while Int(ratio * Double(width)) < hidden { ratio = ratio.nextUp }
      return ratio
    }
  }

  enum CodingKeys: String, CodingKey {
    case numClasses = "num_classes", imgSize = "img_size", patchSize = "patch_size", embedDim = "embed_dim"
    case globalPool = "global_pool", mlpRatio = "mlp_ratio", depth, numHeads = "num_heads"
    case classToken = "class_token", fcNorm = "fc_norm", actLayer = "act_layer"
  }
}

/// `pretrained_cfg`: the input and the evaluation preprocessing timm's data pipeline builds.
struct TimmPretrainedConfig: Encodable {
  var inputSize: [Int]
  var fixedInputSize = true
  /// The original resizes bilinearly, to the model's size, without a crop: timm's `squash`
  /// mode at crop_pct 1.0.
  var interpolation = "bilinear"
  var cropPct = 1.0
  var cropMode = "squash"
  /// `(x − 0.5) / 0.5` on [0, 1] values: the original `(pixel − 127.5) / 127.5`.
  var mean = [0.5, 0.5, 0.5]
  var std = [0.5, 0.5, 0.5]
  var numClasses: Int
  var firstConv: String
  var classifier = "head"
  var customLoad = false

  enum CodingKeys: String, CodingKey {
    case inputSize = "input_size", fixedInputSize = "fixed_input_size", interpolation, cropPct = "crop_pct"
    case cropMode = "crop_mode", mean, std, numClasses = "num_classes", firstConv = "first_conv", classifier
    case customLoad = "custom_load"
  }
}
