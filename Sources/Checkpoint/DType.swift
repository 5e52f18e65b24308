/// The element types a checkpoint tensor may have.
///
/// Names follow numpy (`float32`, `bfloat16`, …). `bfloat16` is what JAX and ml_dtypes save as
/// a two-byte void (`<V2`) because numpy has no such type.
public enum DType: String, CaseIterable, Codable, Sendable {
  case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64
  case float16, bfloat16, float32, float64

  /// Bytes per element.
  public var itemSize: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16, .uint16, .float16, .bfloat16: 2
    case .int32, .uint32, .float32: 4
    case .int64, .uint64, .float64: 8
    }
  }

  /// The largest finite magnitude of a floating-point type, nil for the others.
  public var largestFinite: Double? {
    switch self {
    case .float16: Double(Float16.greatestFiniteMagnitude)
    case .bfloat16: Double(Float(bitPattern: 0x7F7F_0000))
    case .float32: Double(Float.greatestFiniteMagnitude)
    case .float64: .greatestFiniteMagnitude
    default: nil
    }
  }

  /// Whether the type holds floating-point values.
  public var isFloatingPoint: Bool {
    switch self {
    case .float16, .bfloat16, .float32, .float64: true
    default: false
    }
  }
}

/// How the bytes of a multi-byte element are ordered in a file.
public enum ByteOrder: String, Codable, Sendable {
  case little, big
  /// Single-byte types, where order does not apply (numpy's `|`).
  case notApplicable

  /// Whether reading needs a byte swap on this (little-endian) machine.
  var needsSwap: Bool { self == .big }
}
