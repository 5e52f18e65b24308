/// Counts the NaN and infinite values among stored little-endian floats.
public enum NonFiniteValues {
  /// How many of the floats of `type` in `bytes` (little-endian, whole elements) are NaN or
  /// infinite; 0 for a type that is not floating-point. A value is either when its exponent
  /// bits are all ones: adding the exponent's lowest bit to them then carries past them, into
  /// the sign bit, and one OR over the whole buffer says whether any did, at memory speed.
  /// Only then are they counted one by one.
  public static func count(in bytes: UnsafeRawBufferPointer, as type: DType) -> Int {
    switch type {
    case .float32: count(bytes, UInt32.self, exponent: 0x7F80_0000)
    case .float64: count(bytes, UInt64.self, exponent: 0x7FF0_0000_0000_0000)
    case .float16: count(bytes, UInt16.self, exponent: 0x7C00)
    case .bfloat16: count(bytes, UInt16.self, exponent: 0x7F80)
    default: 0
    }
  }

  private static func count<Word: FixedWidthInteger & UnsignedInteger>(
    _ bytes: UnsafeRawBufferPointer, _: Word.Type, exponent: Word
  ) -> Int {
    let words = bytes.count / MemoryLayout<Word>.size
    guard words > 0, let base = bytes.baseAddress else { return 0 }
    let lowest = exponent & (~exponent &+ 1)
    let sign = ~(Word.max >> 1)
    var carried: Word = 0
    for i in 0..<words {
      carried |= (base.loadUnaligned(fromByteOffset: i * MemoryLayout<Word>.size, as: Word.self) & exponent) &+ lowest
    }
    guard carried & sign != 0 else { return 0 }
    var count = 0
    for i in 0..<words
    where base.loadUnaligned(fromByteOffset: i * MemoryLayout<Word>.size, as: Word.self) & exponent == exponent {
      count += 1
    }
    return count
  }
}
