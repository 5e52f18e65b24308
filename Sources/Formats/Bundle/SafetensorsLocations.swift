import Graph

/// Where a bundle's tensors are: the index file, the shards in order, and each tensor's shard
/// (formats/bundle-v1.md, "weights").
struct SafetensorsLocations: TensorLocations, Equatable {
  static let storage = "safetensors"
  static let locationKey = "shard"
  /// The Hugging Face style index file (`model.safetensors.index.json`).
  var index: String
  /// The shard files, in order.
  var shards: [Shard]
  /// Tensor name → shard file.
  var byTensor: [String: String]

  init(index: String, shards: [Shard], byTensor: [String: String]) {
    self.index = index
    self.shards = shards
    self.byTensor = byTensor
  }

  init(manifest: KeyedDecodingContainer<JSONKey>, byTensor: [String: String]) throws {
    index = try manifest.decode(String.self, forKey: JSONKey("index"))
    shards = try manifest.decode([Shard].self, forKey: JSONKey("shards"))
    guard !shards.isEmpty else {
      throw DecodingError.dataCorruptedError(
        forKey: JSONKey("shards"), in: manifest,
        debugDescription: "safetensors weights need at least one shard")
    }
    self.byTensor = byTensor
  }

  func encodeManifestFields(into manifest: inout KeyedEncodingContainer<JSONKey>) throws {
    try manifest.encode(index, forKey: JSONKey("index"))
    try manifest.encode(shards, forKey: JSONKey("shards"))
  }
}

/// One safetensors shard.
public struct Shard: Codable, Equatable, Sendable {
  /// File name inside the bundle folder.
  public var file: String
  /// Size of the file.
  public var bytes: Int
  /// SHA-256 of the file, lowercase hex.
  public var sha256: String

  public init(file: String, bytes: Int, sha256: String) {
    self.file = file
    self.bytes = bytes
    self.sha256 = sha256
  }
}
