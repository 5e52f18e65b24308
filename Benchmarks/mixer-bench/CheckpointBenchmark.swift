import ArgumentParser
import Checkpoint
import Conversion
import Foundation
import Models

/// Reading a large checkpoint: `inspect` (directory and headers only) and streaming every
/// tensor, against `cat FILE > /dev/null` in the same run.
struct CheckpointBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checkpoint", abstract: "inspect time and tensor streaming throughput vs cat.")

  @Option(help: "The mixer-convert executable to time end to end.")
  var binary = ".build/release/mixer-convert"

  @Option(help: "Model to synthesise (kept in --work between runs).")
  var model = "ViT-L_16"

  @Option(help: "Folder for the synthetic checkpoint.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions of each measurement (interleaved).")
  var runs = 5

  func run() throws {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
    let path = try syntheticCheckpoint(entry, in: work)
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    try shell("cat '\(path)' > /dev/null")  // warm the page cache: every figure below is warm-cache
    var cat = Measurement(), inspectProcess = Measurement(), inspectLibrary = Measurement(), stream = Measurement()
    var streamed = 0
    for _ in 0..<runs {
      try cat.record { try shell("cat '\(path)' > /dev/null") }
      try inspectProcess.record { try shell("'\(binary)' inspect '\(path)' > /dev/null") }
      try inspectLibrary.record { _ = try Inspector.inspect(path: path) }
      try stream.record {
        let file = try NpzFile(path: path)
        streamed = 0
        for array in file.arrays { try file.forEachChunk(of: array) { streamed += $0.count } }
      }
    }
    print(
      "checkpoint: \(model), \(Formatting.megabytes(size)), \(runs) interleaved runs, warm page cache; median (range)")
    print("  cat FILE > /dev/null            \(cat.text)   \(throughput(size, cat.median))")
    print(
      "  mixer-convert inspect (process) \(inspectProcess.text)   \(String(format: "%.3f", inspectProcess.median / cat.median))× cat"
    )
    print("  Inspector.inspect (in process)  \(inspectLibrary.text)")
    print(
      "  stream every tensor             \(stream.text)   \(throughput(streamed, stream.median)), "
        + "\(String(format: "%.2f", cat.median / stream.median))× cat's throughput")
  }
}

enum Formatting {
  static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
