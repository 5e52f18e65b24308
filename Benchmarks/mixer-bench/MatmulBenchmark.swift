import ArgumentParser
import COpenBLAS
import Dispatch
import Foundation
import Kernels

/// GFLOPS of our matmul against OpenBLAS and the machine's FMA peak, measured in one run.
struct MatmulBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "matmul", abstract: "Our GEMM vs OpenBLAS and the FMA peak, 1 and 2 threads.")

  @Option(help: "Timed repetitions of each measurement (interleaved with OpenBLAS).")
  var runs = 5

  @Option(help: "Thread counts to measure, comma-separated.")
  var threads = "1,2"

  @Option(help: "Shapes to measure as MxKxN, comma-separated (default: the standard list).")
  var shapes: String?

  /// Shapes as M×K×N: squares, the Mixer-B/16 products, and their batch-8 forms.
  static let standardShapes: [(m: Int, k: Int, n: Int)] = [
    (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
    (196, 768, 3072), (196, 3072, 768), (768, 196, 384), (768, 384, 196),
    (1568, 768, 3072), (1568, 3072, 768), (6144, 196, 384), (6144, 384, 196),
  ]

  func run() throws {
    let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
    let core = String(cString: openblas_get_corename())
    let config = String(cString: openblas_get_config())
    let peak1 = fmaPeakFLOPS(threads: 1) / 1e9
    let peak2 = fmaPeakFLOPS(threads: 2) / 1e9
    let coreChoice = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" }
    print(
      "matmul: ours on the \(KernelPath.selected.rawValue) path; OpenBLAS '\(config)', core \(core) "
        + "(\(coreChoice ?? "OpenBLAS's own choice for this CPU"))")
    print("CPU: \(CPUDescription.current)")
    print(String(format: "FMA peak (tight loop of independent FMAs): %.1f GFLOPS on 1 thread, %.1f on 2", peak1, peak2))
    print("GFLOPS, median of \(runs) interleaved runs (range); ratios from the medians; with 2 threads,")
    print("a 0.3 s pause after each OpenBLAS sample lets its spinning worker threads park first")
    print("'ours' packs B on every call (as attention does); 'packed' has B packed once, as the executor's weights")
    print(
      "threads  M×K×N              ours                  packed                OpenBLAS              ours/BLAS  packed/BLAS  ours/peak  packed/peak"
    )
    for t in threadCounts {
      let compute = Compute(threads: t)
      openblas_set_num_threads(Int32(t))
      for shape in selectedShapes {
        let (ours, packed, blas) = measure(shape, compute: compute, threads: t)
        let peak = t == 1 ? peak1 : peak2 * Double(t) / 2
        let label = "\(shape.m)×\(shape.k)×\(shape.n)".padding(toLength: 18, withPad: " ", startingAt: 0)
        print(
          String(
            format: "%-8d %@ %@  %@  %@  %8.2f  %11.2f  %9.2f  %11.2f", t, label, ours.text, packed.text, blas.text,
            ours.median / blas.median, packed.median / blas.median, ours.median / peak, packed.median / peak))
      }
    }
  }

  private var selectedShapes: [(m: Int, k: Int, n: Int)] {
    guard let shapes else { return Self.standardShapes }
    return shapes.split(separator: ",").map { item in
      let d = item.split(separator: "x").compactMap { Int($0) }
      return (d[0], d[1], d[2])
    }
  }

  /// GFLOPS samples of ours (B packed on every call, and packed once) and OpenBLAS on one shape,
  /// interleaved.
  private func measure(_ shape: (m: Int, k: Int, n: Int), compute: Compute, threads: Int) -> (Rate, Rate, Rate) {
    let (m, k, n) = shape
    var state: UInt64 = 1
    func uniform() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
    }
    let a = (0..<(m * k)).map { _ in uniform() }
    let b = (0..<(k * n)).map { _ in uniform() }
    var c = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let repeats = max(2, Int(0.25 * 150e9 * Double(threads) / flops))  // about 0.25 s per sample
    var ours = Rate(), packed = Rate(), blas = Rate()
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          let viewA = MatrixView(rowMajor: pa.baseAddress!, rows: m, columns: k)
          let viewB = MatrixView(rowMajor: pb.baseAddress!, rows: k, columns: n)
          let viewC = MutableMatrixView(pc.baseAddress!, rows: m, columns: n)
          let outC = pc.baseAddress
          let runOurs = { compute.gemm(viewA, viewB, into: viewC) }
          let packedB = compute.pack(viewB)
          let runPacked = { compute.gemm(viewA, packedB, into: viewC) }
          let runBLAS = {
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
              pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0, outC, Int32(n))
          }
          runOurs()
          runPacked()
          runBLAS()
          for _ in 0..<runs {
            ours.add(time(repeats, runOurs), flops: flops * Double(repeats))
            packed.add(time(repeats, runPacked), flops: flops * Double(repeats))
            blas.add(time(repeats, runBLAS), flops: flops * Double(repeats))
            // OpenBLAS's workers busy-wait after a call (about 0.1 s); let them park so they
            // do not take the other core from the next measurement of ours.
            if threads > 1 { usleep(300_000) }
          }
        }
      }
    }
    return (ours, packed, blas)
  }

  /// Seconds for `repeats` calls, after one untimed call that brings threads and clocks up.
  private func time(_ repeats: Int, _ body: () -> Void) -> Double {
    body()
    return secondsTaken { for _ in 0..<repeats { body() } }
  }
}

/// GFLOPS samples.
struct Rate {
  private(set) var samples: [Double] = []
  mutating func add(_ seconds: Double, flops: Double) { samples.append(flops / seconds / 1e9) }
  var median: Double { mixer_bench.median(samples) }
  var text: String {
    String(format: "%6.1f (%5.1f–%5.1f)", median, samples.min()!, samples.max()!)
  }
}
