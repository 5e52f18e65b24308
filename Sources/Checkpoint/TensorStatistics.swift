/// Summary statistics of one tensor's values, over its finite elements.
public struct TensorStatistics: Sendable, Equatable, Encodable {
  /// Number of finite elements the other figures are computed over.
  public private(set) var finiteCount = 0
  /// Smallest finite value (0 when there is none).
  public private(set) var min: Double = 0
  /// Largest finite value (0 when there is none).
  public private(set) var max: Double = 0
  /// Mean of the finite values.
  public private(set) var mean: Double = 0
  /// Population standard deviation of the finite values.
  public var std: Double { finiteCount > 0 ? (squaredDeviations / Double(finiteCount)).squareRoot() : 0 }
  /// Number of NaN elements.
  public private(set) var nanCount = 0
  /// Number of infinite elements.
  public private(set) var infCount = 0
  private var squaredDeviations: Double = 0

  public init() {}

  /// Adds values, merging their moments with Chan's pairwise update so large tensors keep
  /// their precision.
  public mutating func add(_ values: UnsafeBufferPointer<Float>) {
    var chunk = TensorStatistics()
    var sum: Double = 0
    var low = Double.infinity
    var high = -Double.infinity
    for v in values {
      if v.isNaN { chunk.nanCount += 1; continue }
      if v.isInfinite { chunk.infCount += 1; continue }
      let d = Double(v)
      chunk.finiteCount += 1
      sum += d
      low = Swift.min(low, d)
      high = Swift.max(high, d)
    }
    if chunk.finiteCount > 0 {
      chunk.mean = sum / Double(chunk.finiteCount)
      (chunk.min, chunk.max) = (low, high)
      for v in values where v.isFinite {
        let d = Double(v) - chunk.mean
        chunk.squaredDeviations += d * d
      }
    }
    self = merging(chunk)
  }

  /// The statistics of this tensor's values and `other`'s together (a folder's, say).
  public func merging(_ other: TensorStatistics) -> TensorStatistics {
    var merged = self
    merged.nanCount += other.nanCount
    merged.infCount += other.infCount
    guard other.finiteCount > 0 else { return merged }
    guard finiteCount > 0 else {
      (merged.finiteCount, merged.min, merged.max) = (other.finiteCount, other.min, other.max)
      (merged.mean, merged.squaredDeviations) = (other.mean, other.squaredDeviations)
      return merged
    }
    let total = finiteCount + other.finiteCount
    let delta = other.mean - mean
    merged.squaredDeviations +=
      other.squaredDeviations + delta * delta * Double(finiteCount) * Double(other.finiteCount) / Double(total)
    merged.mean += delta * Double(other.finiteCount) / Double(total)
    merged.min = Swift.min(min, other.min)
    merged.max = Swift.max(max, other.max)
    merged.finiteCount = total
    return merged
  }

  private enum CodingKeys: String, CodingKey {
    case min, max, mean, std, nanCount = "nan_count", infCount = "inf_count"
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(min, forKey: .min)
    try container.encode(max, forKey: .max)
    try container.encode(mean, forKey: .mean)
    try container.encode(std, forKey: .std)
    try container.encode(nanCount, forKey: .nanCount)
    try container.encode(infCount, forKey: .infCount)
  }
}

extension NpzFile {
  /// Streams a tensor and computes its statistics without holding it in memory.
  public func statistics(of array: NpyArrayInfo) throws -> TensorStatistics {
    var statistics = TensorStatistics()
    try forEachChunk(of: array) { chunk in
      let floats = ElementConversion.floats(chunk, type: array.dtype, order: array.header.byteOrder)
      floats.withUnsafeBufferPointer { statistics.add($0) }
    }
    return statistics
  }
}
