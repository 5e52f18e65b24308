import ArgumentParser
import Dispatch
import Foundation
import Kernels

/// Throughput of the elementwise and row kernels, next to a plain copy of the same buffer
/// measured in the same run.
struct KernelBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels", abstract: "GELU, tanh, softmax, LayerNorm throughput vs a memory copy, one thread.")

  @Option(help: "Timed repetitions (median reported).")
  var runs = 7

  func run() throws {
    let compute = Compute(threads: 1)
    let (rows, columns) = (196, 3072)
    let count = rows * columns
    var state: UInt64 = 7
    let values = (0..<count).map { _ -> Float in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int64(bitPattern: state) >> 40) / Float(1 << 21)
    }
    let x = Tensor(shape: [rows, columns], scalars: values)
    let scale = Tensor(shape: [columns], repeating: 1)
    let bias = Tensor(shape: [columns], repeating: 0)
    func median(_ body: () -> Void) -> Double {
      body()
      var samples: [Double] = []
      for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<10 { body() }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / 10)
      }
      return samples.sorted()[runs / 2]
    }
    var sink = x
    let copy = median { sink = Tensor(shape: x.shape, scalars: Array(x.scalars)); sink.scalars[0] += 1 }
    let results: [(String, Double)] = [
      ("GELU (tanh form)", median { sink = compute.gelu(x, approximation: .tanh) }),
      ("GELU (erf form)", median { sink = compute.gelu(x, approximation: .none) }),
      ("tanh", median { sink = compute.tanh(x) }),
      ("softmax (rows of 3072)", median { sink = compute.softmax(x) }),
      ("LayerNorm (rows of 3072)", median { sink = compute.layerNorm(x, scale: scale, bias: bias, epsilon: 1e-6) }),
    ]
    print("kernels: \(rows)×\(columns) floats (\(count * 4 / 1024) KiB), one thread, \(KernelPath.selected.rawValue) path, median of \(runs)")
    print(String(format: "  %@ %8.3f ms  %6.2f ns/element  (reference)", padded("copy into a new buffer", 26), copy * 1e3, copy * 1e9 / Double(count)))
    for (name, seconds) in results {
      print(String(format: "  %@ %8.3f ms  %6.2f ns/element  %5.1f× copy", padded(name, 26), seconds * 1e3,
                   seconds * 1e9 / Double(count), seconds / copy))
    }
    _ = sink
  }
}
