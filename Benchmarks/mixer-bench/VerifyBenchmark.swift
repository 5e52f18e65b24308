import ArgumentParser
import Checkpoint
import Conversion
import Foundation
import Models

/// `verify` end to end (the checkpoint's reference forward and the export's, every weight
/// compared, both files' hashes) against the export's own `run` of the same batch, interleaved
/// in the same run: what checking costs over running.
struct VerifyBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "verify of a synthetic checkpoint and its bundle vs run of the bundle on the same batch, interleaved."
  )

  @Option(help: "The mixer-convert executable.")
  var binary = ".build/release/mixer-convert"

  @Option(help: "The model to synthesise and convert.")
  var model = "Mixer-B_16"

  @Option(help: "Folder for the synthetic checkpoint, its bundle and the input.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions of each (interleaved).")
  var runs = 11

  /// The time the issue that asked for it allows `verify` of Mixer-B/16.
  static let goalSeconds = 2.0

  func validate() throws {
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
  }

  func run() throws {
    guard let entry = ModelCatalog.entry(named: model) else { throw ValidationError("unknown model \(model)") }
    guard let size = entry.architecture.imageSize else { throw ValidationError("\(model) has no square input") }
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let path = try syntheticCheckpoint(entry, in: work)
    let bundle = "\(work)/\(entry.name)-verify"
    let (input, output) = ("\(work)/verify-input.npy", "\(work)/verify-output.npy")
    var conversion = ConversionRequest(checkpoint: path, output: bundle)
    conversion.replacing = true
    _ = try Converter.convert(conversion)
    // The batch `verify` makes by default.
    let defaults = VerificationRequest(checkpoint: path, export: bundle)
    let shape = [defaults.batch, size, size, 3]
    try NpyFile.write(
      SyntheticValues(seed: defaults.seed).uniformInput(count: shape.reduce(1, *)), shape: shape, to: input,
      replacing: true)
    defer { try? FileManager.default.removeItem(atPath: output) }
    let verifyCommand = [binary, "verify", path, bundle, "--quiet"]
    let runCommand = [binary, "run", bundle, "--input", input, "--output", output, "--force", "--quiet"]
    let times = try interleave(
      runs: runs,
      [
        ("verify", { try measureProcess(verifyCommand).seconds }),
        ("run", { try measureProcess(runCommand).seconds }),
      ])
    let (checking, running) = (times["verify"]!, times["run"]!)
    print(
      "verify: seconds, median (min–max) of \(runs) runs of each, interleaved (order rotated every round); "
        + "run: the bundle alone on the batch verify makes (\(defaults.batch) images); \(CPUDescription.current)")
    print(
      "  \(model) verify \(secondsText(checking)) · run \(secondsText(running)) · verify / run = "
        + String(format: "%.2f", median(checking) / median(running))
        + " (round by round: \(pairedRatioText(checking, running)))")
    let slowest = checking.max()!
    print(
      String(
        format: "  %@ verify under %.0f s (the issue's goal for Mixer-B/16): %@ (slowest run %.3f s)",
        padded("", model.count), Self.goalSeconds,
        slowest < Self.goalSeconds ? "every run" : median(checking) < Self.goalSeconds ? "the median" : "NO", slowest))
  }
}
