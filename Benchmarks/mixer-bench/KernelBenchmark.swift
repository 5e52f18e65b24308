import ArgumentParser
import Dispatch
import Foundation
import Kernels

/// Throughput of the elementwise and row kernels, next to a plain copy of the same buffer
/// measured in the same run.
struct KernelBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels",
    abstract:
      "GELU, tanh, softmax, LayerNorm throughput vs a memory copy, one thread; token mixing, fused vs Flax order.")

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
      let samples = (0..<runs).map { _ in secondsTaken { for _ in 0..<10 { body() } } / 10 }
      return mixer_bench.median(samples)
    }
    var sink = x
    let copy = median {
      sink = Tensor(shape: x.shape, scalars: Array(x.scalars)); sink.scalars[0] += 1
    }
    let results: [(String, Double)] = [
      ("GELU (tanh form)", median { sink = compute.gelu(x, approximation: .tanh) }),
      ("GELU (erf form)", median { sink = compute.gelu(x, approximation: .none) }),
      ("tanh", median { sink = compute.tanh(x) }),
      ("softmax (rows of 3072)", median { sink = compute.softmax(x) }),
      ("LayerNorm (rows of 3072)", median { sink = compute.layerNorm(x, scale: scale, bias: bias, epsilon: 1e-6) }),
    ]
    print(
      "kernels: \(rows)×\(columns) floats (\(count * 4 / 1024) KiB), one thread, \(KernelPath.selected.rawValue) path, median of \(runs)"
    )
    print(
      String(
        format: "  %@ %8.3f ms  %6.2f ns/element  (reference)", padded("copy into a new buffer", 26), copy * 1e3,
        copy * 1e9 / Double(count)))
    for (name, seconds) in results {
      print(
        String(
          format: "  %@ %8.3f ms  %6.2f ns/element  %5.1f× copy", padded(name, 26), seconds * 1e3,
          seconds * 1e9 / Double(count), seconds / copy))
    }
    _ = sink
    tokenMixing()
  }

  /// A Mixer-B/16 block's token-mixing MLP with its residual add, timed two ways in one run,
  /// interleaved: as the executor runs it from the graph today (per sample, the transposed
  /// view times the packed fc1 kernel with bias and GELU; one product with the packed fc2
  /// kernel; then the transposed residual add), and as one fused ``Compute/tokenMixing``.
  private func tokenMixing() {
    let (t, c, hidden) = (196, 768, 384)
    var random = LCG(state: 11)
    let w1 = Tensor(shape: [t, hidden], scalars: (0..<(t * hidden)).map { _ in random.next() * 0.05 })
    let w2 = Tensor(shape: [hidden, t], scalars: (0..<(t * hidden)).map { _ in random.next() * 0.05 })
    let b1 = Tensor(shape: [hidden], scalars: (0..<hidden).map { _ in random.next() })
    let b2 = Tensor(shape: [t], scalars: (0..<t).map { _ in random.next() })
    print(
      "token mixing: one Mixer-B/16 block (\(t) tokens, \(c) channels, hidden \(hidden)), ms per image, median of \(runs) interleaved (range)"
    )
    print("  threads  batch  graph order (transposes)      fused tokenMixing             ratio")
    for threads in [1, 2] {
      let compute = Compute(threads: threads)
      let (packed1, packed2) = (compute.pack(w1), compute.pack(w2))
      let (left1, left2) = (compute.packLeft(transposing: w1), compute.packLeft(transposing: w2))
      for batch in [1, 8] {
        let y = Tensor(shape: [batch, t, c], scalars: (0..<(batch * t * c)).map { _ in random.next() })
        var x = Tensor(shape: [batch, t, c], scalars: (0..<(batch * t * c)).map { _ in random.next() })
        let graphOrder = {
          var h = Tensor(shape: [batch, c, hidden])
          var o = Tensor(shape: [batch, c, t])
          h.scalars.withUnsafeMutableBufferPointer { ph in
            y.scalars.withUnsafeBufferPointer { py in
              b1.scalars.withUnsafeBufferPointer { pb in
                for sample in 0..<batch {
                  compute.gemm(
                    MatrixView(py.baseAddress! + sample * t * c, rows: c, columns: t, rowStride: 1, columnStride: c),
                    packed1, into: MutableMatrixView(ph.baseAddress! + sample * c * hidden, rows: c, columns: hidden),
                    bias: pb.baseAddress, gelu: true)
                }
              }
            }
          }
          o.scalars.withUnsafeMutableBufferPointer { po in
            h.scalars.withUnsafeBufferPointer { ph in
              b2.scalars.withUnsafeBufferPointer { pb in
                compute.gemm(
                  MatrixView(rowMajor: ph.baseAddress!, rows: batch * c, columns: hidden), packed2,
                  into: MutableMatrixView(po.baseAddress!, rows: batch * c, columns: t), bias: pb.baseAddress)
              }
            }
          }
          compute.addTransposed(o, into: &x)
        }
        let fused = { compute.tokenMixing(y, into: &x, fc1: left1, bias1: b1, fc2: left2, bias2: b2) }
        var old = Measurement(), new = Measurement()
        graphOrder()
        fused()
        let repeats = batch == 1 ? 20 : 3
        for _ in 0..<runs {
          old.record { for _ in 0..<repeats { graphOrder() } }
          new.record { for _ in 0..<repeats { fused() } }
        }
        let scale = 1e3 / Double(repeats * batch)
        func text(_ m: Measurement) -> String {
          padded(
            String(
              format: "%7.3f (%.3f–%.3f)", m.median * scale, m.range.lowerBound * scale, m.range.upperBound * scale), 28
          )
        }
        print(
          String(format: "  %-8d %-6d %@  %@  %5.2f", threads, batch, text(old), text(new), new.median / old.median))
      }
    }
  }
}

/// Deterministic uniform values in [-1, 1).
private struct LCG {
  var state: UInt64
  mutating func next() -> Float {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
  }
}
