import Kernels
import Parity
import Testing

/// The comparison `verify` judges by: special values, a zero reference, ties in the top classes.
@Suite struct OutputComparisonTests {
  let tolerance = Tolerance(atol: 1e-5, rtol: 1e-5)

  func compare(_ reference: [Float], _ candidate: [Float], classes: Bool = true) -> OutputComparison {
    .compare(
      name: "logits", reference: Tensor(shape: [1, reference.count], scalars: reference),
      candidate: Tensor(shape: [1, candidate.count], scalars: candidate), tolerance: tolerance, classes: classes)
  }

  @Test func identicalOutputsPass() {
    let result = compare([1, -2, 3], [1, -2, 3])
    #expect(result.passed && result.maxAbsDiff == 0 && result.cosineSimilarity == 1 && result.top1Agreement == 1)
  }

  /// An output of no classes (a head of width 0) passes with no top classes to report (they
  /// read NaN).
  @Test func noClassesHaveNoTopClasses() {
    let result = compare([], [])
    #expect(result.passed && result.top1Agreement == nil && result.top5Overlap == nil)
  }

  @Test func aNaNAnywhereFails() {
    for (reference, candidate) in [
      ([1, 2, 3], [1, .nan, 3]), ([1, .nan, 3], [1, 2, 3]), ([1, .nan, 3], [1, .nan, 3]),
    ]
      as [([Float], [Float])]
    {
      let result = compare(reference, candidate)
      #expect(!result.passed && result.maxAbsDiff == .infinity, "\(reference) vs \(candidate)")
      #expect(!result.cosineSimilarity.isNaN)
    }
  }

  @Test func anInfinityAnywhereFails() {
    // The same infinity in the same place differs by nothing, but no tolerance measures it.
    let same = compare([.infinity, 1], [.infinity, 1])
    #expect(!same.passed && same.maxAbsDiff == 0 && same.nonFiniteValues == 1)
    #expect(compare([1, 2], [1, 2]).nonFiniteValues == 0)
    // An infinite reference does not widen the tolerance to infinity.
    let wide = compare([.infinity, 1], [.infinity, 1000])
    #expect(!wide.passed && wide.maxAbsDiff == 999 && wide.maxAbsReference == 1)
    #expect(!compare([.infinity, 1], [-.infinity, 1]).passed)
    #expect(!compare([.infinity, 1], [3e38, 1]).passed)
    #expect(!compare([1, 2], [1, -.infinity]).passed)
  }

  @Test func aZeroReferenceIsJudgedByTheAbsoluteTolerance() {
    let same = compare([0, 0, 0], [0, 0, 0])
    #expect(same.passed && same.allowedMaxAbsDiff == 1e-5 && same.relativeMaxDiff == 0 && same.cosineSimilarity == 1)
    #expect(compare([0, 0, 0], [0, 5e-6, 0]).passed)
    let off = compare([0, 0, 0], [0, 2e-5, 0])
    #expect(!off.passed && off.cosineSimilarity == -1)
  }

  /// Tied classes may come in any order: the export's top class is in agreement when it is one
  /// of the original's equal first, and the top-5 overlap counts every class tied at the fifth.
  @Test func tiesInTheTopClassesCountAsAgreement() {
    let flat = [Float](repeating: 0.25, count: 10)
    var nudged = flat
    nudged[9] += 1e-7  // within tolerance, and now first
    let result = compare(flat, nudged)
    #expect(result.passed)
    #expect(result.top1Agreement == 1)
    #expect(result.top5Overlap == 1)
    // Without ties, a different top class is a disagreement.
    let distinct: [Float] = [5, 4, 3, 2, 1, 0]
    let swapped: [Float] = [4, 5, 3, 2, 1, 0]
    #expect(compare(distinct, swapped).top1Agreement == 0)
    #expect(compare(distinct, [5, 4, 3, 2, 0, 1]).top5Overlap == 0.8)
  }

  @Test func nonClassOutputsHaveNoTopMetrics() {
    let result = compare([1, 2], [1, 2], classes: false)
    #expect(result.top1Agreement == nil && result.top5Overlap == nil && result.passed)
  }
}
