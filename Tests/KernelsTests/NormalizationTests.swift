import Testing

@testable import Kernels

@Suite struct NormalizationTests {
  static func naiveLayerNorm(_ x: [Float], scale: [Float], bias: [Float], epsilon: Double) -> [Double] {
    let c = scale.count
    var out: [Double] = []
    for row in 0..<(x.count / c) {
      let v = x[(row * c)..<((row + 1) * c)].map(Double.init)
      let mean = v.reduce(0, +) / Double(c)
      let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
      out += v.enumerated().map {
        ($1 - mean) / (variance + epsilon).squareRoot() * Double(scale[$0]) + Double(bias[$0])
      }
    }
    return out
  }

  @Test(arguments: computes)
  func layerNormMatchesNaive(compute: Compute) {
    var random = Random(6)
    for width in [1, 3, 17, 32, 768] {
      let x = random.tensor([5, width], scale: 3)
      let scale = random.tensor([width], scale: 0.2, offset: 1)
      let bias = random.tensor([width], scale: 0.1)
      let y = compute.layerNorm(x, scale: scale, bias: bias, epsilon: 1e-6)
      let expected = Self.naiveLayerNorm(x.scalars, scale: scale.scalars, bias: bias.scalars, epsilon: 1e-6)
      #expect(maxDifference(y.scalars, expected) < (width == 1 ? 2e-3 : 2e-5), "width \(width)")
    }
  }

  @Test(arguments: computes)
  func layerNormIsStableForLargeMeans(compute: Compute) {
    var random = Random(7)
    let x = random.tensor([4, 768], scale: 1, offset: 10_000)
    let ones = Tensor(shape: [768], repeating: 1)
    let zeros = Tensor(shape: [768], repeating: 0)
    let y = compute.layerNorm(x, scale: ones, bias: zeros, epsilon: 1e-6)
    let expected = Self.naiveLayerNorm(x.scalars, scale: ones.scalars, bias: zeros.scalars, epsilon: 1e-6)
    // A float32 mean of values near 10⁴ is only good to ~1e-3 (its ulp), which would shift
    // every normalised output by ~2e-3; shifting by the first element keeps the error tiny.
    #expect(maxDifference(y.scalars, expected) < 2e-5)
  }

  @Test(arguments: computes)
  func groupNormMatchesNaive(compute: Compute) {
    var random = Random(8)
    let (n, h, w, c, groups) = (2, 5, 3, 64, 32)
    let x = random.tensor([n, h, w, c], scale: 2, offset: 0.5)
    let scale = random.tensor([c], scale: 0.2, offset: 1)
    let bias = random.tensor([c], scale: 0.1)
    let y = compute.groupNorm(x, groups: groups, scale: scale, bias: bias, epsilon: 1e-6)
    let width = c / groups
    for sample in 0..<n {
      for g in 0..<groups {
        var values: [Double] = []
        for p in 0..<(h * w) {
          for j in 0..<width { values.append(Double(x.scalars[(sample * h * w + p) * c + g * width + j])) }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        for p in 0..<(h * w) {
          for j in 0..<width {
            let channel = g * width + j
            let i = (sample * h * w + p) * c + channel
            let expected =
              (Double(x.scalars[i]) - mean) / (variance + 1e-6).squareRoot() * Double(scale.scalars[channel])
              + Double(bias.scalars[channel])
            #expect(abs(Double(y.scalars[i]) - expected) < 1e-5)
          }
        }
      }
    }
  }

  @Test func weightStandardisationAddsEpsilonToTheStd() {
    let compute = Compute(path: .portable, threads: 1)
    var random = Random(9)
    let kernel = random.tensor([3, 3, 4, 5], scale: 0.3, offset: 0.1)
    let y = compute.standardizeWeights(kernel)
    for o in 0..<5 {
      let values = (0..<36).map { Double(kernel.scalars[$0 * 5 + o]) }
      let mean = values.reduce(0, +) / 36
      let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 36).squareRoot()
      for i in 0..<36 {
        #expect(abs(Double(y.scalars[i * 5 + o]) - (values[i] - mean) / (std + 1e-5)) < 1e-6)
      }
    }
  }
}
