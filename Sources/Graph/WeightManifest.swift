/// How an export stores its weights.
public enum WeightStorage: String, Codable, Sendable {
  /// safetensors shards in a bundle folder, with a Hugging Face style index.
  case safetensors
  /// Datasets of one HDF5 file (formats/hdf5-layout.md).
  case hdf5
}

/// The weights of an export: where every tensor is and what it was converted from.
public struct WeightManifest: Codable, Equatable, Sendable {
  /// Element type of every tensor: `float32`, `float16` or `bfloat16`.
  public var dtype: String
  /// Where the tensors are.
  public var storage: WeightStorage
  /// The Hugging Face style index file (`model.safetensors.index.json`); safetensors only.
  public var index: String?
  /// The shard files, in order; safetensors only.
  public var shards: [Shard]?
  /// Every tensor, by canonical name.
  public var tensors: [String: TensorEntry]

  /// A bundle folder's manifest.
  public init(dtype: String, index: String, shards: [Shard], tensors: [String: TensorEntry]) {
    self.dtype = dtype
    storage = .safetensors
    self.index = index
    self.shards = shards
    self.tensors = tensors
  }

  /// An HDF5 file's manifest.
  public init(dtype: String, hdf5Tensors tensors: [String: TensorEntry]) {
    self.dtype = dtype
    storage = .hdf5
    self.tensors = tensors
  }
}

extension WeightManifest {
  /// The element types an export may store.
  public static let dtypes = ["float32", "float16", "bfloat16"]

  /// The element type is one an export may store; safetensors manifests name an index, shards
  /// and each tensor's shard; HDF5 manifests name each tensor's dataset and nothing else.
  func validateLocations() throws {
    guard Self.dtypes.contains(dtype) else {
      throw GraphError("weight dtype '\(dtype)' is not float32, float16 or bfloat16")
    }
    switch storage {
    case .safetensors:
      guard index != nil, let shards, !shards.isEmpty else {
        throw GraphError("safetensors weights need an 'index' and at least one shard")
      }
      if let (name, _) = tensors.sorted(by: { $0.key < $1.key }).first(where: { $0.value.shard == nil || $0.value.dataset != nil }) {
        throw GraphError("weight '\(name)' must name its shard (and no dataset)")
      }
    case .hdf5:
      guard index == nil, shards == nil else { throw GraphError("HDF5 weights have no index or shards") }
      if let (name, _) = tensors.sorted(by: { $0.key < $1.key }).first(where: { $0.value.dataset == nil || $0.value.shard != nil }) {
        throw GraphError("weight '\(name)' must name its dataset (and no shard)")
      }
    }
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
  /// The shard holding it (safetensors storage).
  public var shard: String?
  /// The path of the dataset holding it (HDF5 storage).
  public var dataset: String?
  /// CRC-32C (Castagnoli) of its stored bytes (little-endian), as 8 lowercase hex digits.
  public var crc32c: String
  /// The original Flax parameter path (without key prefix).
  public var source: String
  /// The element type it had in the checkpoint.
  public var sourceDtype: String
  /// The shape it had in the checkpoint (differs for squeezed GroupNorm parameters and a
  /// resized position embedding).
  public var sourceShape: [Int]
  /// How the values were computed from the source when they are not a copy (a resized
  /// position embedding).
  public var transform: WeightTransform?

  /// - Parameters:
  ///   - shard: the shard file, for safetensors storage.
  ///   - dataset: the dataset path, for HDF5 storage.
  public init(shape: [Int], shard: String? = nil, dataset: String? = nil, crc32c: String, source: String,
              sourceDtype: String, sourceShape: [Int], transform: WeightTransform? = nil) {
    self.shape = shape
    self.shard = shard
    self.dataset = dataset
    self.crc32c = crc32c
    self.source = source
    self.sourceDtype = sourceDtype
    self.sourceShape = sourceShape
    self.transform = transform
  }

  enum CodingKeys: String, CodingKey {
    case shape, shard, dataset, crc32c, source, sourceDtype = "source_dtype", sourceShape = "source_shape", transform
  }
}

/// How an exported weight was computed from its source tensor when it is not a copy.
public struct WeightTransform: Codable, Equatable, Sendable {
  /// What was done. The one kind is `resize_position_embedding`.
  public var kind: String
  /// Side of the source's square patch grid.
  public var fromGrid: Int
  /// Side of the exported square patch grid.
  public var toGrid: Int
  /// Whether row 0, the class token's, was kept out of the resize and copied.
  public var classTokenRow: Bool
  /// The resampling: `linear_aligned_corners` (`scipy.ndimage.zoom` with `order=1`).
  public var interpolation: String
  /// The same in words.
  public var description: String

  public init(kind: String, fromGrid: Int, toGrid: Int, classTokenRow: Bool, interpolation: String, description: String) {
    self.kind = kind
    self.fromGrid = fromGrid
    self.toGrid = toGrid
    self.classTokenRow = classTokenRow
    self.interpolation = interpolation
    self.description = description
  }

  enum CodingKeys: String, CodingKey {
    case kind, fromGrid = "from_grid", toGrid = "to_grid", classTokenRow = "class_token_row", interpolation, description
  }
}
