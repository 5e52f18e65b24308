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
    var count = 0
    var sum: Double = 0
    var low = Double.infinity
    var high = -Double.infinity
    for v in values {
      if v.isNaN { nanCount += 1; continue }
      if v.isInfinite { infCount += 1; continue }
      let d = Double(v)
      count += 1
      sum += d
      low = Swift.min(low, d)
      high = Swift.max(high, d)
    }
    guard count > 0 else { return }
    let chunkMean = sum / Double(count)
    var chunkSquares: Double = 0
    for v in values where v.isFinite {
      let d = Double(v) - chunkMean
      chunkSquares += d * d
    }
    let total = finiteCount + count
    let delta = chunkMean - mean
    squaredDeviations += chunkSquares + delta * delta * Double(finiteCount) * Double(count) / Double(total)
    mean += delta * Double(count) / Double(total)
    min = finiteCount == 0 ? low : Swift.min(min, low)
    max = finiteCount == 0 ? high : Swift.max(max, high)
    finiteCount = total
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
