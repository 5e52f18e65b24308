import ArgumentParser
import Checkpoint
import Conversion
import FileIO
import Foundation
import Models

/// Conversion wall time and peak memory against `cp`, `cp` + `sync` of the same file and a
/// naive numpy converter, interleaved in the same run.
struct ConvertBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract:
      "Conversion time and peak RSS vs cp, cp + sync and a naive numpy converter, on synthetic Mixer-B/16 and ViT-L/16."
  )

  @Option(help: "The mixer-convert executable.")
  var binary = ".build/release/mixer-convert"

  @Option(help: "Models to synthesise, comma-separated.")
  var models = "Mixer-B_16,ViT-L_16"

  @Option(help: "Folder for the synthetic checkpoints and outputs.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions (interleaved with the references).")
  var runs = 11

  func validate() throws {
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
  }

  @Option(help: "The Python with numpy for the naive converter (empty: leave it out).")
  var python = "python3"

  func run() throws {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let naive = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("naive_convert.py").path
    print(
      "convert: seconds, median (min–max) of \(runs) runs interleaved with the references (order rotated every round, "
        + "new output each time, warm page cache); round by round: median (quartiles) of the ratio within each round; "
        + "\(CPUDescription.current)")
    for model in models.split(separator: ",").map(String.init) {
      guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
      let path = try syntheticCheckpoint(entry, in: work)
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
      let largest = entry.architecture.layout.map { $0.elementCount * 4 }.max()!
      let (out, copy, raw) = ("\(work)/\(model)-bundle", "\(work)/\(model)-copy.npz", "\(work)/\(model)-naive")
      var peakKilobytes: [String: [Int]] = [:]
      // A command's output is removed before it runs and as soon as it is timed, so no unsynced
      // copy waits for writeback while another command runs.
      let command = { (name: String, arguments: [String], output: String) -> TimedRun in
        (
          name,
          {
            try? FileManager.default.removeItem(atPath: output)
            defer { try? FileManager.default.removeItem(atPath: output) }
            let measured = try measureProcess(arguments)
            peakKilobytes[name, default: []].append(measured.peakKilobytes)
            return measured.seconds
          }
        )
      }
      let hashOnly: TimedRun = ("SHA-256 alone", { try secondsTaken { _ = try SHA256Stream.file(path) } })
      let timers =
        [
          command("mixer-convert", [binary, path, out, "--quiet"], out),
          command("cp", ["cp", path, copy], copy),
          command("cp + sync", ["sh", "-c", "cp \"$0\" \"$1\" && sync \"$1\"", path, copy], copy),
        ] + (python.isEmpty ? [] : [command("numpy", [python, naive, path, raw], raw)]) + [hashOnly]
      let times = try interleave(runs: runs, timers)
      let text = { (name: String) in "\(name) \(secondsText(times[name]!))" }
      let ours = median(times["mixer-convert"]!)
      print(
        String(format: "  %@ %7.1f MB: ", padded(model, 11), Double(size) / 1e6)
          + ["mixer-convert", "cp", "cp + sync", "numpy", "SHA-256 alone"].filter { times[$0] != nil }.map(text)
          .joined(separator: " · "))
      print(
        String(format: "  %@ mixer-convert / (cp + sync) = %.2f", padded("", 11), ours / median(times["cp + sync"]!))
          + " (round by round: \(pairedRatioText(times["mixer-convert"]!, times["cp + sync"]!)))"
          + (times["numpy"].map { String(format: ", / numpy = %.2f", ours / median($0)) } ?? ""))
      let peak = peakKilobytes["mixer-convert"]!.max()! * 1024
      print(
        String(
          format: "  %@ peak RSS %.1f MiB; largest tensor %.1f MiB + 64 MiB = %.1f MiB: %@", padded("", 11),
          Double(peak) / 1_048_576, Double(largest) / 1_048_576, Double(largest + (64 << 20)) / 1_048_576,
          peak < largest + (64 << 20) ? "below" : "ABOVE"))
    }
  }
}
