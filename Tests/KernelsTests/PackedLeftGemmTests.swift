import Foundation
import Testing

@testable import Kernels

@Suite struct PackedLeftGemmTests {
  /// (m, n, k, samples): edge tiles in M and N, K over one and several slices, batches.
  static let shapes: [(Int, Int, Int, Int)] = [
    (1, 1, 1, 1), (13, 17, 19, 3), (384, 96, 196, 2), (196, 80, 384, 3),
    (37, 530, 600, 1), (290, 40, 390, 2),
  ]

  /// `C_s = A · B_s` in double precision, samples stacked.
  static func naive(_ a: Tensor, _ b: Tensor, samples: Int) -> [Double] {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[2])
    return (0..<samples).flatMap { s in
      naiveMatmul(a.scalars, Array(b.scalars[(s * k * n)..<((s + 1) * k * n)]), m: m, n: n, k: k)
    }
  }

  /// Runs the batched product into `start` and returns the result.
  static func product(
    _ compute: Compute, _ packed: PackedLeftMatrix, _ b: Tensor, start: Tensor, accumulate: Bool,
    rowBias: Tensor?, gelu: Bool
  ) -> [Float] {
    let (samples, k, n) = (b.shape[0], b.shape[1], b.shape[2])
    var c = start
    c.scalars.withUnsafeMutableBufferPointer { pc in
      b.scalars.withUnsafeBufferPointer { pb in
        withOptionalPointer(rowBias) { bias in
          compute.gemm(
            packed, MatrixView(rowMajor: pb.baseAddress!, rows: k, columns: n),
            into: MutableMatrixView(pc.baseAddress!, rows: packed.rows, columns: n), samples: samples,
            bSampleStride: k * n, cSampleStride: packed.rows * n, accumulate: accumulate, rowBias: bias,
            gelu: gelu)
        }
      }
    }
    return c.scalars
  }

  @Test(arguments: computes)
  func batchedProductWithRowEpilogueMatchesNaive(compute: Compute) {
    var random = Random(31)
    for (m, n, k, samples) in Self.shapes {
      let a = random.tensor([m, k])
      let b = random.tensor([samples, k, n])
      let bias = random.tensor([m])
      let start = random.tensor([samples, m, n])
      let packed = a.scalars.withUnsafeBufferPointer {
        compute.packLeft(MatrixView(rowMajor: $0.baseAddress!, rows: m, columns: k))
      }
      let product = Self.naive(a, b, samples: samples)
      let tolerance = 2e-7 * Double(k) + 1e-6
      for (accumulate, gelu) in [(false, false), (false, true), (true, false)] {
        let c = Self.product(compute, packed, b, start: start, accumulate: accumulate, rowBias: bias, gelu: gelu)
        var expected = product
        for i in expected.indices {
          expected[i] += Double(bias.scalars[i / n % m]) + (accumulate ? Double(start.scalars[i]) : 0)
          if gelu { expected[i] = PackedGemmTests.gelu(expected[i]) }
        }
        #expect(
          maxDifference(c, expected) < tolerance,
          "\(compute.path) \(m)×\(n)×\(k) ×\(samples) acc \(accumulate) gelu \(gelu)")
      }
    }
  }

  @Test func theResultDoesNotDependOnTheThreadCount() {
    var random = Random(32)
    let (m, n, k, samples) = (200, 768, 196, 3)
    let a = random.tensor([k, m])
    let b = random.tensor([samples, k, n])
    let bias = random.tensor([m])
    let start = random.tensor([samples, m, n])
    for path in KernelPath.allCases where path.isSupported {
      let results = [1, 2, 3].map { threads -> [Float] in
        let compute = Compute(path: path, threads: threads)
        return Self.product(
          compute, compute.packLeft(transposing: a), b, start: start, accumulate: true, rowBias: bias,
          gelu: false)
      }
      #expect(results[0] == results[1] && results[1] == results[2], "\(path)")
    }
  }

  @Test func tokenMixingDoesNotDependOnTheThreadCountOrBatch() {
    // 600 channels split into several column chunks, differently for each thread count.
    var random = Random(34)
    let (t, c, hidden) = (50, 600, 40)
    let y = random.tensor([2, t, c])
    let x = random.tensor([2, t, c])
    let (w1, b1, w2, b2) = (
      random.tensor([t, hidden]), random.tensor([hidden]), random.tensor([hidden, t]), random.tensor([t])
    )
    for path in KernelPath.allCases where path.isSupported {
      let results = [1, 2, 3].map { threads -> [Float] in
        let compute = Compute(path: path, threads: threads)
        var residual = x
        compute.tokenMixing(
          y, into: &residual, fc1: compute.packLeft(transposing: w1), bias1: b1,
          fc2: compute.packLeft(transposing: w2), bias2: b2)
        return residual.scalars
      }
      #expect(results[0] == results[1] && results[1] == results[2], "\(path)")
      // The second sample alone gives the same values as in the batch.
      let compute = Compute(path: path, threads: 2)
      var second = Tensor(shape: [1, t, c], scalars: Array(x.scalars[(t * c)...]))
      compute.tokenMixing(
        Tensor(shape: [1, t, c], scalars: Array(y.scalars[(t * c)...])), into: &second,
        fc1: compute.packLeft(transposing: w1), bias1: b1, fc2: compute.packLeft(transposing: w2),
        bias2: b2)
      #expect(second.scalars == Array(results[0][(t * c)...]), "\(path)")
    }
  }

  @Test(arguments: computes)
  func tokenMixingMatchesTheTransposedMLP(compute: Compute) {
    // Flax's form: x + (gelu(yᵀ · W1 + b1) · W2 + b2)ᵀ, with the existing transposes and Dense.
    var random = Random(33)
    let (n, t, c, hidden) = (2, 49, 70, 30)
    let x = random.tensor([n, t, c])
    let y = random.tensor([n, t, c])
    let w1 = random.tensor([t, hidden], scale: 0.3)
    let b1 = random.tensor([hidden])
    let w2 = random.tensor([hidden, t], scale: 0.3)
    let b2 = random.tensor([t])
    let h = compute.gelu(compute.dense(compute.transpose(y, 1, 2), kernel: w1, bias: b1))
    let expected = compute.add(x, compute.transpose(compute.dense(h, kernel: w2, bias: b2), 1, 2))
    var residual = x
    compute.tokenMixing(
      y, into: &residual, fc1: compute.packLeft(transposing: w1), bias1: b1,
      fc2: compute.packLeft(transposing: w2), bias2: b2)
    #expect(residual.shape == expected.shape)
    #expect(maxDifference(residual.scalars, expected.scalars.map(Double.init)) < 1e-5, "\(compute.path)")
  }
}
