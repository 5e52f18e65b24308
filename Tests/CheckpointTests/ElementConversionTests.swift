import Testing

@testable import Checkpoint

@Suite struct ElementConversionTests {
  private func convert(_ bytes: [UInt8], from: DType, order: ByteOrder = .little, to: DType) -> [UInt8] {
    let count = bytes.count / from.itemSize
    var out = [UInt8](repeating: 0, count: count * to.itemSize)
    bytes.withUnsafeBytes { src in
      out.withUnsafeMutableBytes { dst in
        ElementConversion.convert(
          src.baseAddress!, from: from, order: order, to: dst.baseAddress!, as: to, count: count)
      }
    }
    return out
  }

  /// NaNs and infinities of either sign are counted in each floating type, at any offset and
  /// length; the largest finite values and the integer types are not.
  @Test func nonFiniteValuesAreCounted() {
    func count<T>(_ values: [T], as type: DType, droppingFirstByte: Bool = false) -> Int {
      values.withUnsafeBytes { bytes in
        droppingFirstByte
          ? NonFiniteValues.count(in: UnsafeRawBufferPointer(rebasing: bytes.dropFirst(1)), as: type)
          : NonFiniteValues.count(in: bytes, as: type)
      }
    }
    var floats = [Float](repeating: 1, count: 1001)
    floats[3] = .nan
    floats[500] = -.infinity
    floats[1000] = .infinity
    floats[7] = .greatestFiniteMagnitude
    floats[8] = -.greatestFiniteMagnitude
    #expect(count(floats, as: .float32) == 3)
    #expect(count([Float](repeating: .greatestFiniteMagnitude, count: 100), as: .float32) == 0)
    #expect(count([Double.nan, 1, .infinity, .greatestFiniteMagnitude], as: .float64) == 2)
    // float16: 0x7C00 is infinity, 0x7E00 NaN, 0x7BFF the largest finite (65504).
    #expect(count([UInt16(0x7C00), 0x7E00, 0xFC00, 0x7BFF, 0x3C00], as: .float16) == 3)
    // bfloat16: 0x7F80 is infinity, 0x7FC0 NaN, 0x7F7F the largest finite.
    #expect(count([UInt16(0x7F80), 0x7FC0, 0x7F7F, 0xFF80], as: .bfloat16) == 3)
    #expect(count([UInt32(0x7F80_0000)], as: .uint32) == 0)
    // Whole elements only, from any address: one byte off, 1000 whole floats follow.
    var shifted = [UInt8](repeating: 0, count: 4001)
    shifted.withUnsafeMutableBytes { bytes in
      (bytes.baseAddress! + 1 + 4 * 999).storeBytes(of: Float.nan.bitPattern, as: UInt32.self)
    }
    #expect(count(shifted, as: .float32, droppingFirstByte: true) == 1)
    #expect(count([UInt8](), as: .float32) == 0)
  }

  /// A finite value beyond the target's range becomes infinite and is counted; an infinity
  /// that was one already is not.
  @Test func valuesBeyondTheRangeAreCounted() {
    let values: [Float] = [65504, 65520, -1e6, .infinity, .nan, 1]
    var half = [UInt8](repeating: 0, count: values.count * 2)
    let overflowed = half.withUnsafeMutableBytes { out in
      values.withUnsafeBufferPointer {
        ElementConversion.encode($0.baseAddress!, count: 6, as: .float16, into: out.baseAddress!)
      }
    }
    #expect(overflowed == 2)
    let wide: [Double] = [3e38, 4e38, -1e39, .infinity]
    var narrow = [UInt8](repeating: 0, count: wide.count * 4)
    let narrowed = wide.withUnsafeBytes { src in
      narrow.withUnsafeMutableBytes { dst in
        ElementConversion.convert(
          src.baseAddress!, from: .float64, order: .little, to: dst.baseAddress!, as: .float32, count: 4)
      }
    }
    #expect(narrowed == 2)
    #expect(ElementConversion.rounded([Float.greatestFiniteMagnitude], to: .bfloat16) == [.infinity])
    #expect(
      ElementConversion.overflowReason(2, tensor: "head/bias", as: .float16)
        == "tensor 'head/bias' holds 2 values beyond float16's range (±65504), which would become infinite")
  }

  @Test func float16IncludingSubnormalsWidensExactly() {
    // Every finite float16 bit pattern, including subnormals and both zeros.
    let patterns = (0..<UInt16.max).filter { Float16(bitPattern: $0).isFinite }
    let floats = patterns.withUnsafeBytes { ElementConversion.floats($0, type: .float16, order: .little) }
    for (bits, value) in zip(patterns, floats) {
      #expect(value == Float(Float16(bitPattern: bits)))
    }
    // Smallest subnormal: 2^-24.
    #expect(floats[1] == 0x1p-24)
  }

  @Test func bfloat16RoundsToNearestEvenAndKeepsNaN() {
    #expect(ElementConversion.bfloat16Bits(1.0) == 0x3F80)
    // 1 + 2^-8 is exactly half-way between two bfloat16 values: ties go to even (1.0).
    #expect(ElementConversion.bfloat16Bits(1 + 0x1p-8) == 0x3F80)
    // 1 + 3·2^-8 is half-way too: ties go to the even neighbour above.
    #expect(ElementConversion.bfloat16Bits(1 + 3 * 0x1p-8) == 0x3F82)
    #expect(ElementConversion.bfloat16Bits(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
    #expect(ElementConversion.bfloat16Value(ElementConversion.bfloat16Bits(.nan)).isNaN)
    #expect(ElementConversion.bfloat16Value(ElementConversion.bfloat16Bits(-.infinity)) == -.infinity)
    #expect(ElementConversion.bfloat16Value(ElementConversion.bfloat16Bits(.greatestFiniteMagnitude)) == .infinity)
    // Every bfloat16 value survives float32 and back unchanged.
    for bits in stride(from: UInt16(0), to: 0x7F80, by: 7) {
      #expect(ElementConversion.bfloat16Bits(ElementConversion.bfloat16Value(bits)) == bits)
    }
  }

  @Test func bigEndianSourcesAreSwapped() {
    let big: [UInt8] = [0x3F, 0x80, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00]  // 1.0, -2.0
    let out = convert(big, from: .float32, order: .big, to: .float32)
    #expect(out == [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
    let double: [UInt8] = [0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18]  // pi
    let floats = double.withUnsafeBytes { ElementConversion.floats($0, type: .float64, order: .big) }
    #expect(floats == [Float(Double.pi)])
  }

  @Test func integersAndBoolsBecomeFloats() {
    let ints: [Int32] = [-3, 0, 7, Int32.max]
    let floats = ints.withUnsafeBytes { ElementConversion.floats($0, type: .int32, order: .little) }
    #expect(floats == [-3, 0, 7, Float(Int32.max)])
    let bools: [UInt8] = [0, 1, 2, 0]
    #expect(bools.withUnsafeBytes { ElementConversion.floats($0, type: .bool, order: .notApplicable) } == [0, 1, 1, 0])
  }

  @Test func narrowingToFloat16AndBFloat16RoundTrips() {
    let values: [Float] = [0, -0.0, 1, -1.5, 65504, 1e-7, 3.14159]
    let half = values.withUnsafeBytes { Array($0) }
    let f16 = convert(half, from: .float32, to: .float16)
    let back = f16.withUnsafeBytes { ElementConversion.floats($0, type: .float16, order: .little) }
    for (a, b) in zip(values, back) { #expect(b == Float(Float16(a))) }
    let bf16 = convert(half, from: .float32, to: .bfloat16)
    let backB = bf16.withUnsafeBytes { ElementConversion.floats($0, type: .bfloat16, order: .little) }
    for (a, b) in zip(values, backB) {
      #expect(b == ElementConversion.bfloat16Value(ElementConversion.bfloat16Bits(a)))
    }
  }

  @Test func fortranOrderBecomesCOrder() {
    // A 2×3×4 array: C-order value at (i, j, k) = 100i + 10j + k.
    let shape = [2, 3, 4]
    var fortran = [Float](repeating: 0, count: 24)
    for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { fortran[i + 2 * j + 6 * k] = Float(100 * i + 10 * j + k) } } }
    let bytes = fortran.withUnsafeBytes { Array($0) }
    let c = AxisOrder.fortranToC(bytes, shape: shape, itemSize: 4)
    let values = c.withUnsafeBytes { ElementConversion.floats($0, type: .float32, order: .little) }
    var expected: [Float] = []
    for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected.append(Float(100 * i + 10 * j + k)) } } }
    #expect(values == expected)
  }
}
