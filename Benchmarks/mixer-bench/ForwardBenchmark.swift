import ArgumentParser
import Formats
import Conversion
import Dispatch
import Foundation
import Graph
import Kernels
import Runtime
import Models

/// Forward latency of the graph executor, next to the time the FMA peak would need.
struct ForwardBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward", abstract: "Executor latency at batch 1 and 8, 1 and 2 threads, vs the FMA peak.")

  @Option(help: "Models to synthesise and convert, comma-separated.")
  var models = "Mixer-B_16,ViT-B_16"

  @Option(help: "Folder for the synthetic checkpoint and bundle.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions per configuration.")
  var runs = 10

  @Option(help: "Batch sizes, comma-separated.")
  var batches = "1,8"

  func run() throws {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    for model in models.split(separator: ",").map(String.init) {
      guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
      try measure(entry)
    }
  }

  private func measure(_ entry: CatalogEntry) throws {
    let path = "\(work)/\(entry.name).npz"
    let bundlePath = "\(work)/\(entry.name)-forward"
    if !FileManager.default.fileExists(atPath: path) { _ = try Synthesizer.write(SynthesisRequest(model: entry), to: path) }
    // Converted afresh every run (under a second) so the bundle is never one of an older format.
    var conversion = ConversionRequest(checkpoint: path, output: bundlePath)
    conversion.replacing = true
    _ = try Converter.convert(conversion)
    let bundle = try LoadedBundle(path: bundlePath)
    let flops = Self.flopsPerImage(bundle.graph)
    let size = bundle.header.input.shape[1]
    print(String(format: "forward: %@, %.2f GFLOP per image (multiply-add = 2), %@ kernels; ms per batch, median of %d (min)",
                 entry.displayName, flops / 1e9, KernelPath.selected.rawValue, runs))
    for threads in [1, 2] {
      let compute = Compute(threads: threads)
      let executor = try PlanExecutor(graph: bundle.graph, weights: bundle.weights(), compute: compute)
      let peak = fmaPeakFLOPS(threads: threads)
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

  /// Multiply-adds × 2 of one image through the graph: its convolutions, dense layers and
  /// attention (projections, scores and the weighted sum); elementwise work is left out.
  static func flopsPerImage(_ graph: GraphDocument) -> Double {
    let shapes = graph.header.weights.tensors.mapValues(\.shape)
    var multiplyAdds = 0
    for node in graph.nodes {
      let out = Array(node.outputShape.dropFirst())
      switch node.operation {
      case .conv2D:
        let kernel = shapes[node.weights["kernel"]!]!
        multiplyAdds += out.reduce(1, *) * kernel[0] * kernel[1] * kernel[2]
      case .dense:
        multiplyAdds += out.reduce(1, *) * shapes[node.weights["kernel"]!]![0]
      case .multiHeadAttention:
        let (tokens, width) = (out[0], out[1])
        let query = shapes[node.weights["query_kernel"]!]!
        let inner = query[1] * query[2]
        multiplyAdds += 4 * tokens * width * inner + 2 * tokens * tokens * inner
      default:
        break
      }
    }
    return 2 * Double(multiplyAdds)
  }
}
