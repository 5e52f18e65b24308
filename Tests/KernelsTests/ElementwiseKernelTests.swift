import Foundation
import Testing

@testable import Kernels

@Suite struct ElementwiseKernelTests {
  /// Inputs across the interesting ranges, including the vector tail (count not a multiple of 16).
  static let inputs: [Float] =
    (0..<4003).map { Float($0 - 2001) * 0.01 } + [-100, -88, -30, 30, 88, 100, 1e-6, -1e-6, 0]

  @Test(arguments: computes)
  func expMatchesDoubleWithinAFewUlps(compute: Compute) {
    let y = compute.exp(Tensor(shape: [Self.inputs.count], scalars: Self.inputs))
    for (x, v) in zip(Self.inputs, y.scalars) where x > -87 && x < 88 {
      let exact = Foundation.exp(Double(x))
      #expect(abs(Double(v) - exact) <= 4e-7 * exact, "exp(\(x)) = \(v), exact \(exact)")
    }
    #expect(y.scalars.allSatisfy { $0.isFinite && $0 >= 0 })
  }

  @Test(arguments: computes)
  func tanhMatchesDouble(compute: Compute) {
    let y = compute.tanh(Tensor(shape: [Self.inputs.count], scalars: Self.inputs))
    for (x, v) in zip(Self.inputs, y.scalars) {
      let exact = Foundation.tanh(Double(x))
      #expect(abs(Double(v) - exact) <= 3e-7 * max(abs(exact), 1e-30) + 1e-12, "tanh(\(x)) = \(v)")
    }
  }

  @Test(arguments: computes)
  func geluBothFormsMatchDouble(compute: Compute) {
    let x = Tensor(shape: [Self.inputs.count], scalars: Self.inputs)
    let approximate = compute.gelu(x, approximation: .tanh)
    let exact = compute.gelu(x, approximation: .none)
    for (i, value) in Self.inputs.enumerated() {
      let d = Double(value)
      let tanhForm = 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
      let erfForm = 0.5 * d * (1 + Foundation.erf(d / 2.squareRoot()))
      #expect(abs(Double(approximate.scalars[i]) - tanhForm) <= 4e-7 * max(abs(tanhForm), 1), "gelu_tanh(\(d))")
      #expect(abs(Double(exact.scalars[i]) - erfForm) <= 4e-7 * max(abs(erfForm), 1), "gelu_erf(\(d))")
    }
    // The two forms really differ (the fixtures move by ~3e-4 if one is swapped for the other).
    #expect(abs(approximate.scalars[2001 + 150] - exact.scalars[2001 + 150]) > 1e-4)
  }

  /// Far out, tanh and both GELU forms give their limits, infinities included (no NaN): ±1, x
  /// for large x, and for very negative x zero or a normal float within 1e-30 of it; NaN stays
  /// NaN.
  @Test(arguments: computes)
  func saturatedInputsGiveTheLimits(compute: Compute) {
    let far: [Float] = [-.infinity, -1e30, -100, -30, -12, -10, -9.5, 9.5, 10, 30, 100, 1e30, .infinity]
    let x = Tensor(shape: [far.count], scalars: far)
    let tanh = compute.tanh(x).scalars
    let forms = [
      ("tanh", compute.gelu(x, approximation: .tanh).scalars), ("erf", compute.gelu(x, approximation: .none).scalars),
    ]
    for (i, value) in far.enumerated() {
      #expect(tanh[i] == (value < 0 ? -1 : 1), "tanh(\(value)) = \(tanh[i])")
      for (form, gelu) in forms {
        if value > 0 {
          #expect(gelu[i] == value, "gelu_\(form)(\(value)) = \(gelu[i])")
        } else {
          #expect(
            gelu[i] <= 0 && gelu[i] > -1e-30 && (gelu[i] == 0 || gelu[i].isNormal),
            "gelu_\(form)(\(value)) = \(gelu[i])")
        }
      }
    }
    let nan = Tensor(shape: [1], scalars: [.nan])
    #expect(compute.tanh(nan).scalars[0].isNaN)
    #expect(compute.gelu(nan, approximation: .tanh).scalars[0].isNaN)
    #expect(compute.gelu(nan, approximation: .none).scalars[0].isNaN)
  }

  @Test(arguments: computes)
  func softmaxMatchesNaiveAndSurvivesLargeLogits(compute: Compute) {
    var random = Random(4)
    var x = random.tensor([7, 197], scale: 20)
    x.scalars[3] = 1e30
    let y = compute.softmax(x)
    for row in 0..<7 {
      let values = x.scalars[(row * 197)..<((row + 1) * 197)].map(Double.init)
      let m = values.max()!
      let e = values.map { Foundation.exp($0 - m) }
      let s = e.reduce(0, +)
      for j in 0..<197 { #expect(abs(Double(y.scalars[row * 197 + j]) - e[j] / s) < 1e-6) }
    }
    #expect(y.scalars[3] == 1)
  }

  @Test(arguments: computes)
  func reluAndAddAndMeanAndPermute(compute: Compute) {
    var random = Random(5)
    let x = random.tensor([2, 3, 4])
    #expect(compute.relu(x).scalars == x.scalars.map { max($0, 0) })
    #expect(compute.add(x, x).scalars == x.scalars.map { $0 + $0 })
    let mean = compute.mean(x, axis: 1)
    #expect(mean.shape == [2, 4])
    for a in 0..<2 {
      for c in 0..<4 {
        let expected = (0..<3).map { Double(x.scalars[a * 12 + $0 * 4 + c]) }.reduce(0, +) / 3
        #expect(abs(Double(mean.scalars[a * 4 + c]) - expected) < 1e-6)
      }
    }
    let permuted = compute.permute(x, [2, 0, 1])
    #expect(permuted.shape == [4, 2, 3])
    for a in 0..<2 {
      for b in 0..<3 {
        for c in 0..<4 { #expect(permuted.scalars[c * 6 + a * 3 + b] == x.scalars[a * 12 + b * 4 + c]) }
      }
    }
  }
}
