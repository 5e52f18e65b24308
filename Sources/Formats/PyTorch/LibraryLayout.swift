import Graph

/// A PyTorch library's folder for one model (formats/timm-layout.md,
/// formats/transformers-layout.md): the state dict's tensors, made from the canonical ones, and
/// the library's own files beside them.
protocol LibraryLayout {
  /// Why the library cannot hold `model` (before anything is written), or nil when it can.
  static func refusal(_ model: CanonicalModel) -> String?
  /// The layout of a model the library can hold; `labels` name the head's classes when known.
  init(_ model: CanonicalModel, shapes: CanonicalShapes, labels: [ClassLabel]?) throws
  /// Every tensor of the library's state dict.
  var tensors: [LibraryTensor] { get }
  /// What a user must know that the files cannot say (how to get the original numerics in the
  /// library, what the library computes differently).
  var notes: [String] { get }
  /// The library's files (`config.json`, …) and `README.md`, given the finished export's header.
  func files(header: ExportHeader) throws -> [(name: String, bytes: [UInt8])]
  /// The names of the files ``files(header:)`` gives.
  static var fileNames: Set<String> { get }
}

/// File names shared by the library folders.
enum LibraryFolder {
  /// The weights, in the library's names and layouts.
  static let weightsFile = "model.safetensors"
  /// The canonical graph document, with where each canonical weight is in the weights file:
  /// what mixer-convert reads the folder back with.
  static let documentFile = "mixer-convert.json"
  /// How to load the folder, for people.
  static let readmeFile = "README.md"
  /// The library's configuration.
  static let configFile = "config.json"
  /// The safetensors metadata PyTorch libraries write (`save_pretrained`, `save_file`).
  static let weightsMetadata = ["format": "pt"]
}

/// Where a library folder's canonical tensors are: the weights file and, for each canonical
/// tensor, the library tensor it is (part of); and the SHA-256 of each configuration file the
/// library builds the model from. The layout itself follows from the graph.
struct LibraryLocations: TensorLocations, Equatable {
  static let storage = "library_state_dict"
  static let locationKey = "stored_in"
  /// `timm` or `transformers`.
  var library: String
  /// `model.safetensors`, with its size and SHA-256.
  var file: Shard
  /// Canonical name → library tensor name.
  var byTensor: [String: String]
  /// Each configuration file (`config.json`, …) → its SHA-256; empty in folders written before
  /// it was recorded.
  var configuration: [String: String]

  init(library: String, file: Shard, byTensor: [String: String], configuration: [String: String]) {
    self.library = library
    self.file = file
    self.byTensor = byTensor
    self.configuration = configuration
  }

  init(manifest: KeyedDecodingContainer<JSONKey>, byTensor: [String: String]) throws {
    library = try manifest.decode(String.self, forKey: JSONKey("library"))
    file = try manifest.decode(Shard.self, forKey: JSONKey("file"))
    configuration = try manifest.decodeIfPresent([String: String].self, forKey: JSONKey("configuration")) ?? [:]
    self.byTensor = byTensor
  }

  func encodeManifestFields(into manifest: inout KeyedEncodingContainer<JSONKey>) throws {
    try manifest.encode(library, forKey: JSONKey("library"))
    try manifest.encode(file, forKey: JSONKey("file"))
    try manifest.encode(configuration, forKey: JSONKey("configuration"))
  }
}
