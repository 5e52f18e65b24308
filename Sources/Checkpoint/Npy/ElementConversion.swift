import Foundation

/// Converts tensor elements between the stored type and the types we compute or export in.
///
/// Sources may be any ``DType`` in either byte order; targets are the little-endian floating
/// types (`float16`, `bfloat16`, `float32`, `float64`). Narrowing rounds to nearest even;
/// bfloat16 keeps NaN a NaN. A finite value beyond the target's range becomes infinite, and
/// is counted (`convert` and `encode` return how many), so a caller can refuse it. Work goes through a small float32 (or float64) block so that each
/// inner loop handles one type only.
public enum ElementConversion {
  private static let blockSize = 4096

  /// Converts `count` elements.
  ///
  /// - Parameters:
  ///   - source: the stored elements.
  ///   - sourceType: their type.
  ///   - order: their byte order.
  ///   - destination: room for `count` elements of `targetType`.
  ///   - targetType: a floating-point type.
  /// - Returns: how many finite elements became infinite, being beyond `targetType`'s range.
  @discardableResult
  public static func convert(
    _ source: UnsafeRawPointer, from sourceType: DType, order: ByteOrder,
    to destination: UnsafeMutableRawPointer, as targetType: DType, count: Int
  ) -> Int {
    precondition(targetType.isFloatingPoint, "conversion target must be a floating-point type")
    if sourceType == targetType, !order.needsSwap {
      destination.copyMemory(from: source, byteCount: count * sourceType.itemSize)
      return 0
    }
    if targetType == .float64 {
      for i in 0..<count {
        destination.storeBytes(of: double(source, sourceType, order, i), toByteOffset: 8 * i, as: Double.self)
      }
      return 0
    }
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { block in
      var start = 0
      var overflowed = 0
      while start < count {
        let n = min(blockSize, count - start)
        overflowed += decode(source, sourceType, order, from: start, count: n, into: block.baseAddress!)
        overflowed += encode(
          block.baseAddress!, count: n, as: targetType, into: destination + start * targetType.itemSize)
        start += n
      }
      return overflowed
    }
  }

  /// Why `count` values of `tensor` cannot be stored as `type`: `tensor 'head/bias' holds 1
  /// value beyond float16's range (±65504), which would become infinite`.
  public static func overflowReason(_ count: Int, tensor: String, as type: DType) -> String {
    let range = type.largestFinite.map { String(format: "%g", $0) } ?? "?"
    return
      "tensor '\(tensor)' holds \(count) value\(count == 1 ? "" : "s") beyond \(type.rawValue)'s range (±\(range)), "
      + "which would become infinite"
  }

  /// Decodes elements to `Float`.
  public static func floats(_ raw: UnsafeRawBufferPointer, type: DType, order: ByteOrder) -> [Float] {
    let count = raw.count / type.itemSize
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      if count > 0 {
        convert(raw.baseAddress!, from: type, order: order, to: buffer.baseAddress!, as: .float32, count: count)
      }
      initialized = count
    }
  }

  /// Encodes `Float` values as `type` (a floating-point type), little-endian.
  ///
  /// - Returns: how many finite values became infinite, being beyond `type`'s range.
  @discardableResult
  public static func encode(
    _ values: UnsafePointer<Float>, count: Int, as type: DType, into destination: UnsafeMutableRawPointer
  ) -> Int {
    var overflowed = 0
    switch type {
    case .float32:
      destination.copyMemory(from: values, byteCount: 4 * count)
    case .float16:
      let out = destination.assumingMemoryBound(to: UInt16.self)
      for i in 0..<count {
        let half = Float16(values[i])
        out[i] = half.bitPattern
        if half.isInfinite && values[i].isFinite { overflowed += 1 }
      }
    case .bfloat16:
      let out = destination.assumingMemoryBound(to: UInt16.self)
      for i in 0..<count {
        out[i] = bfloat16Bits(values[i])
        if out[i] & 0x7FFF == 0x7F80 && values[i].isFinite { overflowed += 1 }
      }
    case .float64:
      let out = destination.assumingMemoryBound(to: Double.self)
      for i in 0..<count { out[i] = Double(values[i]) }
    default:
      preconditionFailure("cannot encode as \(type)")
    }
    return overflowed
  }

  /// Each value rounded to the nearest `type` (a floating-point type) and widened back.
  public static func rounded(_ values: [Float], to type: DType) -> [Float] {
    var bytes = [UInt8](repeating: 0, count: values.count * type.itemSize)
    bytes.withUnsafeMutableBytes { out in
      values.withUnsafeBufferPointer {
        if !$0.isEmpty { encode($0.baseAddress!, count: $0.count, as: type, into: out.baseAddress!) }
      }
    }
    return bytes.withUnsafeBytes { floats($0, type: type, order: .little) }
  }

  /// The bfloat16 nearest to `value` (ties to even), as its bit pattern.
  public static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
  }

  /// The value of a bfloat16 bit pattern.
  public static func bfloat16Value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  /// Decodes elements to `Float`; returns how many finite ones became infinite (float64's).
  @discardableResult
  private static func decode(
    _ source: UnsafeRawPointer, _ type: DType, _ order: ByteOrder, from start: Int, count: Int,
    into out: UnsafeMutablePointer<Float>
  ) -> Int {
    let swap = order.needsSwap
    @inline(__always) func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
      let v = source.loadUnaligned(fromByteOffset: (start + i) * MemoryLayout<T>.size, as: T.self)
      return swap ? v.byteSwapped : v
    }
    switch type {
    case .float32: for i in 0..<count { out[i] = Float(bitPattern: load(UInt32.self, i)) }
    case .float16: for i in 0..<count { out[i] = Float(Float16(bitPattern: load(UInt16.self, i))) }
    case .bfloat16: for i in 0..<count { out[i] = bfloat16Value(load(UInt16.self, i)) }
    case .float64:
      var overflowed = 0
      for i in 0..<count {
        let value = Double(bitPattern: load(UInt64.self, i))
        out[i] = Float(value)
        if out[i].isInfinite && value.isFinite { overflowed += 1 }
      }
      return overflowed
    case .bool: for i in 0..<count { out[i] = load(UInt8.self, i) != 0 ? 1 : 0 }
    case .int8: for i in 0..<count { out[i] = Float(Int8(bitPattern: load(UInt8.self, i))) }
    case .uint8: for i in 0..<count { out[i] = Float(load(UInt8.self, i)) }
    case .int16: for i in 0..<count { out[i] = Float(Int16(bitPattern: load(UInt16.self, i))) }
    case .uint16: for i in 0..<count { out[i] = Float(load(UInt16.self, i)) }
    case .int32: for i in 0..<count { out[i] = Float(Int32(bitPattern: load(UInt32.self, i))) }
    case .uint32: for i in 0..<count { out[i] = Float(load(UInt32.self, i)) }
    case .int64: for i in 0..<count { out[i] = Float(Int64(bitPattern: load(UInt64.self, i))) }
    case .uint64: for i in 0..<count { out[i] = Float(load(UInt64.self, i)) }
    }
    return 0
  }

  private static func double(_ source: UnsafeRawPointer, _ type: DType, _ order: ByteOrder, _ i: Int) -> Double {
    if type == .float64 {
      let v = source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
      return Double(bitPattern: order.needsSwap ? v.byteSwapped : v)
    }
    var value: Float = 0
    decode(source, type, order, from: i, count: 1, into: &value)
    return Double(value)
  }
}
