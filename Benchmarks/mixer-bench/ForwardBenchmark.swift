import ArgumentParser
import Bundle
import Conversion
import Dispatch
import Foundation
import Graph
import Kernels
import Models

/// Forward latency of the graph executor, next to the time the FMA peak would need.
struct ForwardBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward", abstract: "Executor latency at batch 1 and 8, 1 and 2 threads, vs the FMA peak.")

  @Option(help: "Model to synthesise and convert.")
  var model = "Mixer-B_16"

  @Option(help: "Folder for the synthetic checkpoint and bundle.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions per configuration.")
  var runs = 10

  @Option(help: "Batch sizes, comma-separated.")
  var batches = "1,8"

  func run() throws {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let entry = ModelCatalog.entry(named: model)!
    let path = "\(work)/\(model).npz"
    let bundlePath = "\(work)/\(model)-forward"
    if !FileManager.default.fileExists(atPath: path) { _ = try Synthesizer.write(SynthesisRequest(model: entry), to: path) }
    if !FileManager.default.fileExists(atPath: bundlePath) {
      _ = try Converter.convert(ConversionRequest(checkpoint: path, output: bundlePath))
    }
    let bundle = try LoadedBundle(path: bundlePath)
    let flops = Self.flopsPerImage(entry.architecture)
    let size = bundle.graph.input.shape[1]
    print(String(format: "forward: %@, %.2f GFLOP per image (multiply-add = 2), %@ kernels; ms per batch, median of %d (min)",
                 entry.displayName, flops / 1e9, KernelPath.selected.rawValue, runs))
    for threads in [1, 2] {
      let compute = Compute(threads: threads)
      let executor = try GraphExecutor(graph: bundle.graph, weights: bundle.weights(), compute: compute)
      let peak = Self.fmaPeak(threads: threads)
      for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
        let input = Tensor(shape: [batch, size, size, 3],
                           scalars: SyntheticValues(seed: 1).uniformInput(count: batch * size * size * 3))
        _ = try executor.run(input)
        var samples: [Double] = []
        for _ in 0..<runs {
          let start = DispatchTime.now().uptimeNanoseconds
          _ = try executor.run(input)
          samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let perImage = median / Double(batch)
        let atPeak = flops / peak
        print(String(format: "  %d thread%@ batch %d: %8.1f ms (%6.1f) per batch, %6.1f ms per image, %5.0f GFLOPS; FMA peak %.0f GFLOPS would take %5.1f ms per image (%.2f of peak)",
                     threads, threads == 1 ? " " : "s", batch, median * 1e3, samples[0] * 1e3, perImage * 1e3,
                     flops / perImage / 1e9, peak / 1e9, atPeak * 1e3, atPeak / perImage))
      }
    }
  }

  /// Multiply-adds × 2 of one image through the model.
  static func flopsPerImage(_ architecture: ModelArchitecture) -> Double {
    switch architecture {
    case .mixer(let c):
      let (s, d) = (Double(c.tokens), Double(c.hiddenDim))
      let stem = 2 * s * Double(c.patchSize * c.patchSize * 3) * d
      let block = 2 * (2 * d * s * Double(c.tokensMLPDim)) + 2 * (2 * s * d * Double(c.channelsMLPDim))
      return stem + Double(c.blocks) * block + 2 * d * Double(c.classes ?? 0)
    case .vit: return 0
    }
  }

  /// FLOPS of the FMA loop on `threads` threads at once.
  static func fmaPeak(threads: Int) -> Double {
    let compute = Compute(threads: 1)
    var best = 0.0
    for _ in 0..<3 {
      let start = DispatchTime.now().uptimeNanoseconds
      let madds = Counter()
      DispatchQueue.concurrentPerform(iterations: threads) { _ in madds.add(compute.measureFMAPeak().multiplyAdds) }
      best = max(best, 2 * Double(madds.value) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }
    return best
  }
}
