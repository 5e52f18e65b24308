import ArgumentParser
import CBenchSupport
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

  @Option(help: "Timed runs of each runtime per row, interleaved run by run; each figure is their median.")
  var runs = 15

  func validate() throws {
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
  }

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
    /// Seconds of each run, per runtime, in round order (sample `r` of every runtime is round `r`'s).
    var samples: [String: [Double]] = [:]
    /// The host's speed after each round: FLOPS of a short FMA loop on the row's threads (one
    /// series for all the batch sizes of a model and thread count, measured in the same rounds).
    var probes: [Double] = []
    /// Nanoseconds of a cache line's round trip between CPUs 0 and 1 after each round, on
    /// rows of two threads or more (empty on one thread).
    var roundTrips: [Double] = []
  }

  func run() throws {
    csupport_keep_freed_memory()  // as `mixer-convert run` does
    // Before the one-thread rows pin this thread to one CPU. Started there, the pool had no
    // workers (the processor count read while pinned was 1), and the two-thread rows ran on
    // libdispatch's threads: Mixer-B/16 at batch 1 in 152 ms instead of 121.
    Compute.startWorkers()
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let peerNames = peers.split(separator: ",").map(String.init)
    let threadCounts = Array(Set(threads.split(separator: ",").compactMap { Int($0) })).sorted()
    let batchSizes = Array(Set(batches.split(separator: ",").compactMap { Int($0) })).sorted()
    var prepared: [String: (flops: Double, size: Int, runners: [Int: ExportRunner], onnx: String)] = [:]
    for model in models.split(separator: ",").map(String.init) {
      guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
      let path = try syntheticCheckpoint(entry, in: work)
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
    // The one-thread peak on the CPU of the one-thread rows, which it is the yardstick of.
    let peaks = Dictionary(
      uniqueKeysWithValues: try threadCounts.map { count in
        (count, count == 1 ? try onCPU(Self.oneThreadCPU) { fmaPeakFLOPS(threads: 1) } : fmaPeakFLOPS(threads: count))
      })
    signal(SIGPIPE, SIG_IGN)  // a peer that dies is reported from its output's end instead
    // The rows of one model and thread count are measured together, every batch size in every
    // round, so that batch sizes are compared within rounds too.
    for (model, threadCount) in prepared.keys.sorted().flatMap({ model in threadCounts.map { (model, $0) } }) {
      let group = table.indices.filter { table[$0].model == model && table[$0].threads == threadCount }
      let rows = group.map { table[$0] }
      let subject = prepared[model]!
      // One-thread rows run every runtime on the same CPU: the two vCPUs of this host are not
      // equally fast at any moment, and where each runtime landed would otherwise decide the row.
      let cpu = threadCount == 1 ? Self.oneThreadCPU : nil
      let measure = {
        try self.measure(
          rows, runner: subject.runners[threadCount]!, size: subject.size, onnx: subject.onnx, peers: peerNames,
          cpu: cpu)
      }
      let (samples, probes, roundTrips) = try cpu.map { try onCPU($0, measure) } ?? measure()
      for index in group {
        table[index].samples = samples[table[index].batch]!
        table[index].probes = probes
        table[index].roundTrips = roundTrips
      }
    }
    printTable(table, peers: peerNames, prepared: prepared.mapValues(\.flops), peaks: peaks)
  }

  /// Times of `runs` runs of each runtime at each batch size of `rows` (one model and thread
  /// count), interleaved: one run of each per round, the order rotated every round, so a slow
  /// spell of this shared host falls on all of them alike; and after each round a short FMA
  /// loop on the rows' threads, which shows how steady the host was, and on two threads or
  /// more a cache line's round trip between CPUs 0 and 1, which shows where the host placed
  /// them. The peers run on CPU `cpu` only, when given (the caller pins its own thread).
  private func measure(
    _ rows: [Configuration], runner: ExportRunner, size: Int, onnx: String, peers: [String], cpu: Int?
  ) throws -> (samples: [Int: [String: [Double]]], probes: [Double], roundTrips: [Double]) {
    let threads = rows[0].threads
    var servers: [PeerServer] = []
    defer { servers.forEach { $0.close() } }
    var timers: [(batch: Int, name: String, time: () throws -> Double)] = []
    for batch in rows.map(\.batch) {
      let input = Tensor(
        shape: [batch, size, size, 3], scalars: SyntheticValues(seed: 1).uniformInput(count: batch * size * size * 3))
      _ = try runner.run(input)
      timers.append((batch, "mixer-convert", { try Self.time(runner, input) }))
      for peer in peers {
        let server = try PeerServer(
          peer, onnx: onnx, threads: threads, batch: batch, size: size, cpu: cpu, python: python)
        servers.append(server)
        timers.append((batch, server.name, server.time))
      }
    }
    let paused: [TimedRun] = timers.map { timer in
      (
        "\(timer.name) \(timer.batch)",
        {
          defer { usleep(Self.pauseMicroseconds) }
          return try timer.time()
        }
      )
    }
    var probes: [Double] = []
    var roundTrips: [Double] = []
    let samples = try interleave(runs: runs, paused) {
      probes.append(fmaPeakFLOPS(threads: threads, iterations: Self.probeIterations, attempts: 1))
      if threads > 1 { roundTrips.append(bench_cache_line_round_trip(0, 1, Self.roundTripRounds)) }
    }
    var byBatch: [Int: [String: [Double]]] = [:]
    for timer in timers { byBatch[timer.batch, default: [:]][timer.name] = samples["\(timer.name) \(timer.batch)"]! }
    return (byBatch, probes, roundTrips)
  }

  /// Round trips of the placement probe (about 6 ms when the CPUs share an L3, 30 ms when not).
  private static let roundTripRounds = 100_000

  /// A round trip above this many nanoseconds means CPUs 0 and 1 were on different core
  /// complexes (this host: about 60 ns on one, 320 ns across two).
  private static let farRoundTripNanoseconds = 150.0

  /// Iterations of the FMA loop that probes the host after each round (12 vectors of
  /// multiply-adds an iteration: about 50 ms at the FMA peak of Zen 4's AVX-512 path, 30 ms at
  /// Zen 3's AVX2 one).
  private static let probeIterations = 16_000_000

  /// The pause after each timed run, so that worker threads still spinning in the runtime just
  /// timed are idle when the next one starts. Ours spin for 2 ms and OpenVINO's not at all, but
  /// after a two-thread run ONNX Runtime's use about 40 ms of CPU time over the next 50 ms
  /// (its process's CPU time sampled after a run, Mixer-B/16 here). With a pause of 20 ms the
  /// runtime timed next shared a vCPU with them: two threads, batch 1, Mixer-B/16 ran in
  /// 130 ms after ONNX Runtime against 120 ms alone, and OpenVINO in 138–146 ms against 129.
  private static let pauseMicroseconds: UInt32 = 100_000

  /// The CPU of the one-thread rows.
  private static let oneThreadCPU = 0

  /// Seconds of one run of `input` through `runner`, in process.
  private static func time(_ runner: ExportRunner, _ input: Tensor) throws -> Double {
    try secondsTaken { _ = try runner.run(input) }
  }

  private func printTable(_ table: [Configuration], peers: [String], prepared: [String: Double], peaks: [Int: Double]) {
    print(
      "forward: ms per image, median of \(runs) runs of each runtime, interleaved run by run (order rotated every round"
        + (table.contains { $0.threads == 1 } ? "; one-thread rows all on CPU \(Self.oneThreadCPU)" : "") + "); "
        + "mixer-convert in process on its bundle, \(peers.joined(separator: " and ")) on mixer-convert's .onnx "
        + "of the same checkpoint (float32); \(KernelPath.selected.rawValue) kernels; \(CPUDescription.current)")
    print(
      "FMA peak: "
        + peaks.keys.sorted().map {
          String(format: "%.0f GFLOPS on %d thread%@", peaks[$0]! / 1e9, $0, $0 == 1 ? "" : "s")
        }
        .joined(separator: ", "))
    print(
      "ours/best: ratio of the medians; paired: median (and quartiles) over the rounds of ours / the best peer's "
        + "time in the same round; vs batch 1: likewise ours per image / ours at batch 1 (the batch sizes of a model "
        + "and thread count run in the same rounds); host: slowest FMA probe of the rounds against their fastest; "
        + "far: rounds after which a cache line took over \(Int(Self.farRoundTripNanoseconds)) ns from CPU 0 to 1 "
        + "and back (the host had put them on different core complexes)")
    var header =
      ["model", "threads", "batch", "ours"] + peers + ["ours/best", "paired", "ours/peak", "vs batch 1", "host", "far"]
    header[3] = "mixer-convert"
    var rows = [header]
    for row in table {
      let ours = median(row.samples["mixer-convert"]!) / Double(row.batch)
      let others = peers.map { median(row.samples[$0]!) / Double(row.batch) }
      let best = others.min() ?? ours
      let atPeak = prepared[row.model]! / peaks[row.threads]!
      // Against the peer with the best median, round by round (the faster of two peers in each
      // round would favour the peers: the minimum of two noisy times is biased low).
      let bestPeer = others.indices.min { others[$0] < others[$1] }.map { peers[$0] }
      // Ours per image against ours per image at batch 1, within each round.
      let single = table.first { $0.model == row.model && $0.threads == row.threads && $0.batch == 1 }
      let perImage = row.samples["mixer-convert"]!.map { $0 / Double(row.batch) }
      rows.append(
        [row.model, "\(row.threads)", "\(row.batch)", String(format: "%.1f", ours * 1e3)]
          + others.map { String(format: "%.1f", $0 * 1e3) }
          + [
            String(format: "%.2f", ours / best),
            bestPeer.map { pairedRatioText(row.samples["mixer-convert"]!, row.samples[$0]!) } ?? "–",
            String(format: "%.2f", atPeak / ours),
            row.batch == 1 ? "–" : single.map { pairedRatioText(perImage, $0.samples["mixer-convert"]!) } ?? "–",
            String(format: "%.2f", row.probes.min()! / row.probes.max()!),
            farRoundsText(row.roundTrips),
          ])
    }
    let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max()! }
    for row in rows {
      print(
        "  "
          + row.enumerated().map { String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }
          .joined(separator: "  "))
    }
  }

  /// "k/n": of the `n` rounds whose placement probe worked, the `k` after which CPUs 0 and 1
  /// were on different core complexes; "–" on one thread (or when no probe worked).
  private func farRoundsText(_ roundTrips: [Double]) -> String {
    let measured = roundTrips.filter { $0 >= 0 }
    guard !measured.isEmpty else { return "–" }
    return "\(measured.filter { $0 > Self.farRoundTripNanoseconds }.count)/\(measured.count)"
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
