import Checkpoint
import Foundation

/// Whether every exported weight holds its source tensor: bit for bit when exported as
/// float32, or exactly the nearest value (ties to even) of a narrower dtype.
public struct WeightCheck: Encodable, Sendable {
  /// Tensors compared.
  public private(set) var tensors = 0
  /// Tensors whose every element is as expected.
  public private(set) var exact = 0
  /// Tensors compared with their source after the transform graph.json records for them (a
  /// resized position embedding) rather than with the source itself.
  public private(set) var transformed = 0
  /// Names of tensors that differ (at most 20).
  public private(set) var mismatched: [String] = []
  /// Largest absolute difference between exported and source values (the rounding, for
  /// narrower dtypes; 0 for float32).
  public private(set) var maxAbsDiff = 0.0
  /// Largest difference relative to the source value's magnitude, over nonzero values.
  public private(set) var maxRelativeDiff = 0.0
  /// What "expected" means for the bundle's dtype.
  public let rule: String

  public init(dtype: DType) {
    rule =
      dtype == .float32
      ? "bit-exact copies of the source values"
      : "each value is the \(dtype.rawValue) nearest to the source value (round to nearest, ties to even)"
  }

  /// Whether every tensor matched.
  public var passed: Bool { exact == tensors }

  /// Compares one exported tensor with its source.
  ///
  /// - Parameters:
  ///   - source: the source values decoded to float32 (after the recorded transform, if any).
  ///   - transformed: whether `source` went through a transform.
  ///   - stored: the exported bytes (little-endian `dtype`).
  public mutating func add(
    name: String, source: [Float], transformed: Bool = false, stored: UnsafeRawBufferPointer,
    dtype: DType
  ) {
    tensors += 1
    if transformed { self.transformed += 1 }
    var expected = [UInt8](repeating: 0, count: source.count * dtype.itemSize)
    var overflowed = 0
    if !source.isEmpty {
      overflowed = expected.withUnsafeMutableBytes { out in
        source.withUnsafeBufferPointer {
          ElementConversion.encode($0.baseAddress!, count: source.count, as: dtype, into: out.baseAddress!)
        }
      }
    }
    let sameSize = stored.count == expected.count
    // A finite source value beyond the dtype's range has no nearest value but infinity: the
    // export cannot hold it.
    let equal =
      overflowed == 0 && sameSize
      && expected.withUnsafeBytes { bytes in
        bytes.isEmpty || memcmp(bytes.baseAddress!, stored.baseAddress!, bytes.count) == 0
      }
    if equal {
      exact += 1
    } else if mismatched.count < 20 {
      mismatched.append(name)
    }
    // A bit-exact float32 copy differs by nothing; otherwise measure by how much.
    guard sameSize, !(equal && dtype == .float32) else { return }
    let exported = ElementConversion.floats(stored, type: dtype, order: .little)
    source.withUnsafeBufferPointer { a in
      exported.withUnsafeBufferPointer { b in
        for i in 0..<a.count where a[i].isFinite {
          // An exported NaN or infinity for a finite source is an infinite difference.
          let diff = b[i].isFinite ? Double(abs(a[i] - b[i])) : .infinity
          maxAbsDiff = max(maxAbsDiff, diff)
          if a[i] != 0 { maxRelativeDiff = max(maxRelativeDiff, diff / Double(abs(a[i]))) }
        }
      }
    }
  }

  private enum CodingKeys: String, CodingKey {
    case tensors, exact, transformed, mismatched, maxAbsDiff, maxRelativeDiff, rule, passed
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(tensors, forKey: .tensors)
    try container.encode(exact, forKey: .exact)
    try container.encode(transformed, forKey: .transformed)
    try container.encode(mismatched, forKey: .mismatched)
    try container.encode(maxAbsDiff, forKey: .maxAbsDiff)
    try container.encode(maxRelativeDiff, forKey: .maxRelativeDiff)
    try container.encode(rule, forKey: .rule)
    try container.encode(passed, forKey: .passed)
  }
}
