import Foundation

@testable import Kernels

/// Every kernel path this CPU can run, each with one and two threads.
let computes: [Compute] = KernelPath.allCases.filter(\.isSupported).flatMap { path in
  [Compute(path: path, threads: 1), Compute(path: path, threads: 2)]
}

/// Deterministic uniform values in [-1, 1).
struct Random {
  var state: UInt64
  init(_ seed: UInt64) { state = seed }
  mutating func next() -> Float {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
  }
  mutating func tensor(_ shape: [Int], scale: Float = 1, offset: Float = 0) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in offset + scale * next() })
  }
}

/// The largest absolute difference.
func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
  zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

/// Row-major index helpers for naive references.
func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Double] {
  var c = [Double](repeating: 0, count: m * n)
  for i in 0..<m {
    for p in 0..<k { let x = Double(a[i * k + p]); for j in 0..<n { c[i * n + j] += x * Double(b[p * n + j]) } }
  }
  return c
}
