/// transformers' `config.json` for a ViT (`ViTConfig`), with the original numerics: GELU in
/// its tanh approximation (`gelu_pytorch_tanh`; the default `gelu` is exact) and LayerNorm
/// epsilon 1e-6 (the default is 1e-12).
struct TransformersViTConfig: Encodable {
  /// `ViTForImageClassification` or `ViTModel`.
  var architectures: [String]
  var modelType = "vit"
  var hiddenSize: Int
  var numHiddenLayers: Int
  var numAttentionHeads: Int
  var intermediateSize: Int
  var hiddenAct = "gelu_pytorch_tanh"
  var hiddenDropoutProb = 0.0
  var attentionProbsDropoutProb = 0.0
  var initializerRange = 0.02
  var layerNormEps = 1e-6
  var imageSize: Int
  var patchSize: Int
  var numChannels = 3
  var qkvBias = true
  var encoderStride: Int
  /// ViTModel: the pooler's width and activation.
  var poolerOutputSize: Int?
  var poolerAct: String?
  /// Class names by index (`"0"`), and back; for a classification model.
  var id2label: [String: String]?
  var label2id: [String: Int]?
  /// The stored weights' dtype.
  var dtype: String

  enum CodingKeys: String, CodingKey {
    case architectures, modelType = "model_type", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size", hiddenAct = "hidden_act"
    case hiddenDropoutProb = "hidden_dropout_prob", attentionProbsDropoutProb = "attention_probs_dropout_prob"
    case initializerRange = "initializer_range", layerNormEps = "layer_norm_eps", imageSize = "image_size"
    case patchSize = "patch_size", numChannels = "num_channels", qkvBias = "qkv_bias", encoderStride = "encoder_stride"
    case poolerOutputSize = "pooler_output_size", poolerAct = "pooler_act", id2label, label2id, dtype
  }
}

/// `preprocessor_config.json` for `ViTImageProcessor`: the original evaluation preprocessing
/// as far as it can say it — resize to the model's size (bilinear, no crop), rescale by 1/255,
/// then `(x − 0.5) / 0.5`, which is the original `(pixel − 127.5) / 127.5`.
struct ViTImageProcessorConfig: Encodable {
  struct Size: Encodable {
    var height: Int
    var width: Int
  }

  var imageProcessorType = "ViTImageProcessor"
  var doResize = true
  var size: Size
  /// PIL's `BILINEAR`.
  var resample = 2
  var doRescale = true
  var rescaleFactor = 1.0 / 255.0
  var doNormalize = true
  var imageMean = [0.5, 0.5, 0.5]
  var imageStd = [0.5, 0.5, 0.5]

  enum CodingKeys: String, CodingKey {
    case imageProcessorType = "image_processor_type", doResize = "do_resize", size, resample, doRescale = "do_rescale"
    case rescaleFactor = "rescale_factor", doNormalize = "do_normalize", imageMean = "image_mean", imageStd =
      "image_std"
  }
}
