import Graph

/// A ViT in Hugging Face transformers' layout (formats/transformers-layout.md): the state dict
/// of `ViTForImageClassification` (classification) or `ViTModel` (features) under the names
/// `save_pretrained` writes, and the folder's `config.json` and `preprocessor_config.json`.
///
/// `ViTModel` always has a pooler, Dense then an activation on the class token: a features
/// export puts the representation (`pre_logits`) layer there, or, without one, an identity
/// Dense with the `linear` activation, so that `pooler_output` is the original features.
struct TransformersLayout: LibraryLayout {
  let model: CanonicalModel
  let vit: CanonicalModel.ViT
  let tensors: [LibraryTensor]
  private let labels: [ClassLabel]?

  /// Why transformers cannot hold the model, when it cannot.
  static func refusal(_ model: CanonicalModel) -> String? {
    guard case .vit(let vit) = model.family else { return "transformers has no MLP-Mixer model" }
    if vit.stem != nil { return "transformers 5 has no hybrid ViT (ViTHybrid was removed)" }
    switch vit.pooling {
    case .mean:
      return "transformers' ViT has a class token and pools it; this model averages its tokens (classifier gap)"
    case .none:
      return
        "transformers' ViT pools the class token; this model's head classifies every token (an unpooled classifier)"
    case .classToken: break
    }
    if vit.representation != nil, model.classes != nil {
      return
        "ViTForImageClassification has no representation (pre_logits) layer (a features export keeps it as ViTModel's pooler)"
    }
    return nil
  }

  /// The layout of a model transformers can hold (``refusal(_:)`` is nil).
  init(_ model: CanonicalModel, shapes: CanonicalShapes, labels: [ClassLabel]?) throws {
    guard case .vit(let vit) = model.family else { preconditionFailure("transformers holds ViTs only") }
    self.model = model
    self.vit = vit
    self.labels = labels
    var list = LibraryTensorList(shapes: shapes)
    func attention(_ name: String, _ kernel: String, _ bias: String) {
      list.append(.stacked(name + ".weight", [.attentionKernel(kernel, width: vit.width)]))
      list.append(.stacked(name + ".bias", [.flattened(bias, count: vit.width)]))
    }
    let base = model.classes == nil ? "" : "vit."
    try list.conv(base + "embeddings.patch_embeddings.projection.weight", "embedding.kernel")
    try list.copy(base + "embeddings.patch_embeddings.projection.bias", "embedding.bias")
    try list.copy(base + "embeddings.cls_token", "cls.token")
    try list.copy(base + "embeddings.position_embeddings", "position.embedding")
    for i in 0..<vit.depth {
      let (layer, block) = (base + "encoder.layer.\(i).", "blocks.\(i).")
      try list.norm(layer + "layernorm_before", block + "norm1")
      for projection in ["query", "key", "value"] {
        attention(
          layer + "attention.attention." + projection, block + "attention.\(projection)_kernel",
          block + "attention.\(projection)_bias")
      }
      attention(layer + "attention.output.dense", block + "attention.out_kernel", block + "attention.out_bias")
      try list.norm(layer + "layernorm_after", block + "norm2")
      try list.linear(layer + "intermediate.dense", block + "mlp.fc1")
      try list.linear(layer + "output.dense", block + "mlp.fc2")
    }
    try list.norm(base + "layernorm", "encoder_norm")
    if model.classes != nil {
      try list.linear("classifier", "head")
    } else if vit.representation != nil {
      try list.linear("pooler.dense", "pre_logits")
    } else {
      list.append(.identity("pooler.dense.weight", [vit.width, vit.width]))
      list.append(.identity("pooler.dense.bias", [vit.width]))
    }
    tensors = list.tensors
  }

  var notes: [String] {
    guard model.classes == nil else { return [] }
    return [
      vit.representation == nil
        ? "transformers' ViTModel always has a pooler: here an identity Dense with the linear activation (weights not from the "
          + "checkpoint), so pooler_output is the original features"
        : "the representation (pre_logits) layer is ViTModel's pooler (Dense, tanh): pooler_output is the original features"
    ]
  }

  /// `config.json` for weights stored as `dtype`.
  func config(dtype: String) -> TransformersViTConfig {
    let classes = model.classes
    let names = labels.map { $0.map(\.name) } ?? classes.map { (0..<$0).map { "LABEL_\($0)" } }
    return TransformersViTConfig(
      architectures: [classes == nil ? "ViTModel" : "ViTForImageClassification"], hiddenSize: vit.width,
      numHiddenLayers: vit.depth, numAttentionHeads: vit.heads, intermediateSize: vit.mlp, imageSize: model.imageSize,
      patchSize: vit.patchSize, encoderStride: vit.patchSize,
      poolerOutputSize: classes == nil ? vit.representation ?? vit.width : nil,
      poolerAct: classes == nil ? (vit.representation == nil ? "linear" : "tanh") : nil,
      id2label: names.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { (String($0), $1) }) },
      // Repeated names (ImageNet-1k has two "crane"s) keep the last index, as Python's dict does.
      label2id: names.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { _, last in last }) },
      dtype: dtype)
  }

  /// The image processor's configuration (`AutoImageProcessor`).
  static let processorFile = "preprocessor_config.json"
  static let fileNames: Set<String> = [LibraryFolder.configFile, processorFile, LibraryFolder.readmeFile]

  func files(header: ExportHeader) throws -> [(name: String, bytes: [UInt8])] {
    let config = config(dtype: header.weights.dtype)
    let processor = ViTImageProcessorConfig(size: .init(height: model.imageSize, width: model.imageSize))
    let (auto, output) =
      model.classes == nil
      ? ("AutoModel", "model(**inputs).pooler_output                    # the original features")
      : ("AutoModelForImageClassification", "model(**inputs).logits")
    let loading = """
      from transformers import \(auto), AutoImageProcessor
      model = \(auto).from_pretrained(".").eval()
      processor = AutoImageProcessor.from_pretrained(".")   # \(model.imageSize)×\(model.imageSize), bilinear, no crop, mean = std = 0.5
      inputs = processor(images=image, return_tensors="pt")
      \(output)
      """
    return [
      (LibraryFolder.configFile, try BundleLayout.json(config)), (Self.processorFile, try BundleLayout.json(processor)),
      (
        LibraryFolder.readmeFile,
        Array(LibraryReadme.text(header, library: "transformers", loading: loading, notes: notes).utf8)
      ),
    ]
  }
}
