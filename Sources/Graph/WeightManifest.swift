/// The weights of a bundle: where every tensor is and what it was converted from.
public struct WeightManifest: Codable, Equatable, Sendable {
  /// Element type of every tensor: `float32`, `float16` or `bfloat16`.
  public var dtype: String
  /// The Hugging Face style index file (`model.safetensors.index.json`).
  public var index: String
  /// The shard files, in order.
  public var shards: [Shard]
  /// Every tensor, by canonical name.
  public var tensors: [String: TensorEntry]

  public init(dtype: String, index: String, shards: [Shard], tensors: [String: TensorEntry]) {
    self.dtype = dtype
    self.index = index
    self.shards = shards
    self.tensors = tensors
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

/// One tensor of the manifest.
public struct TensorEntry: Codable, Equatable, Sendable {
  /// Shape in the canonical layout.
  public var shape: [Int]
  /// The shard holding it.
  public var shard: String
  /// CRC-32C (Castagnoli) of its bytes in the shard, as 8 lowercase hex digits.
  public var crc32c: String
  /// The original Flax parameter path (without key prefix).
  public var source: String
  /// The element type it had in the checkpoint.
  public var sourceDtype: String
  /// The shape it had in the checkpoint (differs only for squeezed GroupNorm parameters).
  public var sourceShape: [Int]

  public init(shape: [Int], shard: String, crc32c: String, source: String, sourceDtype: String, sourceShape: [Int]) {
    self.shape = shape
    self.shard = shard
    self.crc32c = crc32c
    self.source = source
    self.sourceDtype = sourceDtype
    self.sourceShape = sourceShape
  }

  enum CodingKeys: String, CodingKey {
    case shape, shard, crc32c, source, sourceDtype = "source_dtype", sourceShape = "source_shape"
  }
}
