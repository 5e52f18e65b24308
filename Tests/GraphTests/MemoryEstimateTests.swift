import Graph
import Testing

@Suite struct MemoryEstimateTests {
  @Test func peakCountsLiveValuesAndScratch() {
    var f = GraphFixture(input: [-1, 4, 4, 3])
    f.add("tokens", .reshape(shape: [-1, 16, 3]), shape: [-1, 16, 3])  // 48 live with the input until here
    f.add("wide", .dense, shape: [-1, 16, 10], weights: ["kernel": [3, 10]])
    f.add("narrow", .dense, shape: [-1, 16, 2], weights: ["kernel": [10, 2]])
    let estimate = f.document.memoryEstimate
    // At "wide": the input (48: its caller holds it for the whole run), tokens (48) and the
    // output (160).
    #expect(estimate.bytesPerImage == 4 * (48 + 48 + 160))
    #expect(estimate.bytesPerThread == 0)
    #expect(estimate.bytes(batch: 3, threads: 2) == 3 * 4 * 256)
  }

  @Test func attentionNeedsItsScoresPerThread() {
    let estimate = ValidationTests.valid().memoryEstimate
    #expect(estimate.bytesPerThread == 4 * 17 * 17)
    #expect(estimate.bytes(batch: Int.max / 2, threads: 1) == nil, "overflow is reported, not wrapped")
  }
}
