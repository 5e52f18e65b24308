/// The weights of an export: their element type and, by canonical name, what each one is and
/// what it was converted from. Where each is stored is the format's business (a shard, an HDF5
/// dataset, an ONNX initializer), recorded beside the manifest by the format.
public struct WeightManifest: Codable, Equatable, Sendable {
  /// Element type of every tensor: `float32`, `float16` or `bfloat16`.
  public var dtype: String
  /// Every tensor, by canonical name.
  public var tensors: [String: TensorEntry]

  public init(dtype: String, tensors: [String: TensorEntry]) {
    self.dtype = dtype
    self.tensors = tensors
  }

  /// The element types an export may store.
  public static let dtypes = ["float32", "float16", "bfloat16"]

  /// Bytes all tensors take together (nil for a dtype an export may not store). Validated
  /// shapes hold at most 2^34 elements each and a document at most 16 MiB: no overflow.
  public var totalBytes: Int? { itemSize.map { elementCount * $0 } }

  /// Values in all tensors together (no overflow, as for ``totalBytes``).
  public var elementCount: Int { tensors.values.reduce(0) { $0 + $1.shape.reduce(1, *) } }

  /// Bytes each element of ``dtype`` takes (nil for a dtype an export may not store).
  public var itemSize: Int? {
    switch dtype {
    case "float32": 4
    case "float16", "bfloat16": 2
    default: nil
    }
  }
}

/// One tensor of the manifest.
public struct TensorEntry: Codable, Equatable, Sendable {
  /// Shape in the canonical layout.
  public var shape: [Int]
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

  public init(
    shape: [Int], crc32c: String, source: String, sourceDtype: String, sourceShape: [Int],
    transform: WeightTransform? = nil
  ) {
    self.shape = shape
    self.crc32c = crc32c
    self.source = source
    self.sourceDtype = sourceDtype
    self.sourceShape = sourceShape
    self.transform = transform
  }

  enum CodingKeys: String, CodingKey {
    case shape, crc32c, source, sourceDtype = "source_dtype", sourceShape = "source_shape", transform
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

  public init(kind: String, fromGrid: Int, toGrid: Int, classTokenRow: Bool, interpolation: String, description: String)
  {
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
