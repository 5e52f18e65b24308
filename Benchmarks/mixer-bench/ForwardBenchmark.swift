import ArgumentParser
import CSupport
import Conversion
import Dispatch
import Formats
import Foundation
import Graph
import Kernels
import Models
import Runtime

/// Forward latency of mixer-convert against ONNX Runtime and OpenVINO running the same model —
/// mixer-convert's own `.onnx` of the same checkpoint, same weights — measured interleaved in
/// one run, next to the time the FMA peak would need.
struct ForwardBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward",
    abstract:
      "Forward latency vs ONNX Runtime and OpenVINO on our own .onnx, interleaved; batch 1 and 8, 1 and 2 threads.")

  @Option(help: "Models to synthesise and convert, comma-separated.")
  var models = "Mixer-B_16,ViT-B_16"

  @Option(help: "Folder for the synthetic checkpoints and exports.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions per measurement.")
  var runs = 5

  @Option(help: "Interleaved cycles; each figure is the median of the cycles' medians.")
  var cycles = 3

  @Option(help: "Batch sizes, comma-separated.")
  var batches = "1,8"

  @Option(help: "Thread counts, comma-separated.")
  var threads = "1,2"

  @Option(help: "The Python with onnxruntime and openvino (the test virtual environment).")
  var python = "python3"

  @Option(help: "Peer runtimes, comma-separated (onnxruntime, openvino; empty for none).")
  var peers = "onnxruntime,openvino"

  /// One row of the table: a model at a thread count and batch size.
  private struct Configuration {
    let model: String
    let threads: Int
    let batch: Int
    var samples: [String: [Double]] = [:]
  }

  func run() throws {
    csupport_keep_freed_memory()  // as `mixer-convert run` does
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let peerNames = peers.split(separator: ",").map(String.init)
    let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
    let batchSizes = batches.split(separator: ",").compactMap { Int($0) }
    var prepared: [String: (flops: Double, size: Int, runners: [Int: ExportRunner], onnx: String)] = [:]
    for model in models.split(separator: ",").map(String.init) {
      guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
      let path = "\(work)/\(entry.name).npz"
      if !FileManager.default.fileExists(atPath: path) {
        _ = try Synthesizer.write(SynthesisRequest(model: entry), to: path)
      }
      // Converted afresh every run (seconds) so the exports are never of an older format.
      for output in ["\(work)/\(entry.name)-forward", "\(work)/\(entry.name)-forward.onnx"] {
        var conversion = ConversionRequest(checkpoint: path, output: output)
        conversion.replacing = true
        _ = try Converter.convert(conversion)
      }
      let bundle = try LoadedBundle(path: "\(work)/\(entry.name)-forward")
      var runners: [Int: ExportRunner] = [:]
      for count in threadCounts { runners[count] = try ExportRunner(bundle, compute: Compute(threads: count)) }
      prepared[model] = (
        Self.flopsPerImage(bundle.graph), bundle.header.input.shape[1], runners,
        "\(work)/\(entry.name)-forward.onnx"
      )
    }
    var table = prepared.keys.sorted().flatMap { model in
      threadCounts.flatMap { t in batchSizes.map { Configuration(model: model, threads: t, batch: $0) } }
    }
    let peaks = Dictionary(uniqueKeysWithValues: threadCounts.map { ($0, fmaPeakFLOPS(threads: $0)) })
    for _ in 0..<cycles {
      for index in table.indices {
        let row = table[index]
        let model = prepared[row.model]!
        let input = Tensor(
          shape: [row.batch, model.size, model.size, 3],
          scalars: SyntheticValues(seed: 1).uniformInput(count: row.batch * model.size * model.size * 3))
        table[index].samples["mixer-convert", default: []].append(try timeOurs(model.runners[row.threads]!, input))
        for peer in peerNames {
          table[index].samples[peer, default: []].append(try timePeer(peer, model.onnx, row, size: model.size))
        }
      }
    }
    printTable(table, peers: peerNames, prepared: prepared.mapValues(\.flops), peaks: peaks)
  }

  /// Median seconds per batch of `runs` runs, in process (after one untimed run).
  private func timeOurs(_ runner: ExportRunner, _ input: Tensor) throws -> Double {
    _ = try runner.run(input)
    var samples: [Double] = []
    for _ in 0..<runs {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try runner.run(input)
      samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return samples.sorted()[samples.count / 2]
  }

  /// Median seconds per batch of a peer runtime (Benchmarks/peers.py, in its own process).
  private func timePeer(_ peer: String, _ onnx: String, _ row: Configuration, size: Int) throws -> Double {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("peers.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      python, script, peer, onnx, "--threads", "\(row.threads)", "--batch", "\(row.batch)",
      "--size", "\(size)", "--runs", "\(runs)",
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    struct Timing: Decodable { let median: Double }
    guard process.terminationStatus == 0, let timing = try? JSONDecoder().decode(Timing.self, from: data) else {
      throw BenchError("\(peer) failed on \(onnx) (is it installed for \(python)? make venv)")
    }
    return timing.median
  }

  private func printTable(_ table: [Configuration], peers: [String], prepared: [String: Double], peaks: [Int: Double]) {
    let median = { (values: [Double]) in values.sorted()[values.count / 2] }
    print(
      "forward: ms per image, median of \(cycles) interleaved cycles, each the median of \(runs) runs; "
        + "mixer-convert in process on its bundle, \(peers.joined(separator: " and ")) on mixer-convert's .onnx "
        + "of the same checkpoint (float32); \(KernelPath.selected.rawValue) kernels; \(CPUDescription.current)")
    print(
      "FMA peak: "
        + peaks.keys.sorted().map {
          String(format: "%.0f GFLOPS on %d thread%@", peaks[$0]! / 1e9, $0, $0 == 1 ? "" : "s")
        }
        .joined(separator: ", "))
    var header = ["model", "threads", "batch", "ours"] + peers + ["ours/best", "ours/peak"]
    header[3] = "mixer-convert"
    var rows = [header]
    for row in table {
      let ours = median(row.samples["mixer-convert"]!) / Double(row.batch)
      let others = peers.map { median(row.samples[$0]!) / Double(row.batch) }
      let best = others.min() ?? ours
      let atPeak = prepared[row.model]! / peaks[row.threads]!
      rows.append(
        [row.model, "\(row.threads)", "\(row.batch)", String(format: "%.1f", ours * 1e3)]
          + others.map { String(format: "%.1f", $0 * 1e3) }
          + [String(format: "%.2f", ours / best), String(format: "%.2f", atPeak / ours)])
    }
    let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max()! }
    for row in rows {
      print(
        "  "
          + row.enumerated().map { String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }
          .joined(separator: "  "))
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
