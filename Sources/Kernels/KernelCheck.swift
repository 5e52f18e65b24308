/// A quick check that one kernel path computes correctly on this machine.
///
/// Runs the matmul (an odd size that exercises packing, edge tiles and both micro-kernels),
/// GELU, LayerNorm and softmax on small inputs and compares them with straightforward
/// double-precision loops.
public struct KernelCheck: Sendable, Encodable {
  /// The path checked.
  public let path: KernelPath
  /// Largest absolute error of each operation.
  public let maxErrors: [String: Double]
  /// Whether every error is within its tolerance.
  public let passed: Bool

  /// Checks `path`, which must be supported.
  public static func run(_ path: KernelPath) -> KernelCheck {
    let compute = Compute(path: path, threads: 1)
    var state: UInt64 = 42
    func values(_ count: Int) -> [Float] {
      (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
      }
    }
    var errors: [String: Double] = [:]
    let (m, k, n) = (37, 29, 45)
    let a = Tensor(shape: [m, k], scalars: values(m * k))
    let b = Tensor(shape: [k, n], scalars: values(k * n))
    let product = compute.matmul(a, b)
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k { sum += Double(a.scalars[i * k + p]) * Double(b.scalars[p * n + j]) }
        worst = max(worst, abs(sum - Double(product.scalars[i * n + j])))
      }
    }
    errors["matmul"] = worst
    let x = Tensor(shape: [4, 50], scalars: values(200).map { $0 * 6 })
    let gelu = compute.gelu(x, approximation: .tanh)
    errors["gelu"] = zip(x.scalars, gelu.scalars).map { input, output in
      let d = Double(input)
      let exact = 0.5 * d * (1 + _tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
      return abs(exact - Double(output))
    }.max()!
    let ones = Tensor(shape: [50], repeating: 1)
    let zeros = Tensor(shape: [50], repeating: 0)
    let normalized = compute.layerNorm(x, scale: ones, bias: zeros, epsilon: 1e-6)
    let softmax = compute.softmax(x)
    var layerNormError = 0.0
    var softmaxError = 0.0
    for row in 0..<4 {
      let v = x.scalars[(row * 50)..<((row + 1) * 50)].map(Double.init)
      let mean = v.reduce(0, +) / 50
      let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 50 + 1e-6).squareRoot()
      let top = v.max()!
      let exps = v.map { _exp($0 - top) }
      let total = exps.reduce(0, +)
      for j in 0..<50 {
        layerNormError = max(layerNormError, abs((v[j] - mean) / std - Double(normalized.scalars[row * 50 + j])))
        softmaxError = max(softmaxError, abs(exps[j] / total - Double(softmax.scalars[row * 50 + j])))
      }
    }
    errors["layer_norm"] = layerNormError
    errors["softmax"] = softmaxError
    let tolerance = ["matmul": 1e-4, "gelu": 5e-6, "layer_norm": 1e-5, "softmax": 1e-6]
    return KernelCheck(path: path, maxErrors: errors, passed: errors.allSatisfy { $0.value <= tolerance[$0.key]! })
  }
}

#if canImport(Glibc)
import Glibc
private func _tanh(_ x: Double) -> Double { Glibc.tanh(x) }
private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
private func _tanh(_ x: Double) -> Double { Darwin.tanh(x) }
private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
