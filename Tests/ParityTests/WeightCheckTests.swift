import Checkpoint
import Parity
import Testing

/// How `verify` judges an exported weight against its source.
@Suite struct WeightCheckTests {
  /// A source value float16 cannot hold has no nearest float16 but infinity: the export's
  /// infinity is a mismatch, not "the nearest value".
  @Test func anInfinityForAFiniteSourceIsAMismatch() {
    var check = WeightCheck(dtype: .float16)
    let infinity = Float16.infinity.bitPattern
    let stored: [UInt16] = [Float16(1).bitPattern, infinity]
    stored.withUnsafeBytes { check.add(name: "head.bias", source: [1, 1e5], stored: $0, dtype: .float16) }
    #expect(!check.passed && check.mismatched == ["head.bias"] && check.maxAbsDiff == .infinity)
    // The same infinity where the source holds one is its nearest value.
    stored.withUnsafeBytes { check.add(name: "other", source: [1, .infinity], stored: $0, dtype: .float16) }
    #expect(check.exact == 1 && check.mismatched == ["head.bias"])
  }
}
