import Models
import Testing

@Suite struct SyntheticValuesTests {
  @Test func valuesDependOnSeedAndPathOnly() {
    let spec = ParamSpec("a/kernel", [300, 200], .kernel(fanIn: 300))
    let a = SyntheticValues(seed: 7).values(spec)
    #expect(a == SyntheticValues(seed: 7).values(spec))
    #expect(a != SyntheticValues(seed: 8).values(spec))
    #expect(a != SyntheticValues(seed: 7).values(ParamSpec("b/kernel", [300, 200], .kernel(fanIn: 300))))
  }

  @Test(arguments: [
    (ParamRole.kernel(fanIn: 768), 0.0, 1 / Double(768).squareRoot()),
    (.kernel(fanIn: 1), 0.0, 0.5), (.kernel(fanIn: 1_000_000), 0.0, 0.02),
    (.scale, 1.0, 0.2), (.bias, 0.0, 0.1), (.embedding, 0.0, 0.2),
  ])
  func momentsFollowTheFixtureScheme(role: ParamRole, mean: Double, std: Double) {
    let values = SyntheticValues(seed: 1).values(ParamSpec("x", [200_000], role)).map(Double.init)
    let m = values.reduce(0, +) / Double(values.count)
    let s = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)).squareRoot()
    #expect(abs(m - mean) < 0.01 * max(std, 0.05))
    #expect(abs(s / std - 1) < 0.01)
    // Irwin-Hall with four terms is bounded by ±2√3 standard deviations.
    #expect(values.allSatisfy { abs($0 - mean) <= 3.4642 * std + 1e-6 })
  }
}
