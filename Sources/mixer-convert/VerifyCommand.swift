import ArgumentParser
import Conversion
import Formats
import Foundation
import Parity

/// `mixer-convert verify`: the export's outputs against the original's.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Compare an export's outputs with the original checkpoint's; exit 1 on drift.",
    discussion: """
      Runs the checkpoint through a reference forward that reads the original Flax names and \
      follows the Flax semantics, and the export (\(ReadableExports.nouns); an ONNX file \
      runs its own nodes) through its own computation, on the same \
      inputs (generated from --seed, or --input). Reports per output the max abs diff, the \
      max diff relative to max |output|, cosine similarity, top-1 agreement and top-5 overlap, \
      and checks every exported weight against its source tensor (bit-exact for float32). \
      Exit status: 0 within tolerance, 1 beyond it, 2 bad input.

      An output passes when max|diff| <= atol + rtol * max|original| (default atol 1e-5, \
      rtol 1e-5; formats/bundle-v1.md gives the measurements behind them). For a float16 or \
      bfloat16 export the original runs with its weights rounded exactly as the export stores \
      them (each checked to be the nearest value), so the same tolerance applies; how much the \
      rounding itself moves the outputs is reported beside.

      Examples:
        mixer-convert verify Mixer-B_16.npz mixer-b16/
        mixer-convert verify ViT-B_16.npz vit-b16.onnx --batch 4 --seed 7
        mixer-convert verify ViT-B_16.npz vit-b16.h5 --input images.npy --json
      """)

  @Argument(help: "The original .npz checkpoint.")
  var checkpoint: String

  @Argument(help: ReadableExports.argumentHelp)
  var export: String

  @OptionGroup(title: "Inputs and tolerance")
  var parity: ParityArguments

  @OptionGroup(title: "Running")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func run() throws {
    let (checkpoint, export) = (PathArgument.normalized(self.checkpoint), PathArgument.normalized(self.export))
    // A checkpoint where the export goes: the two swapped, or no export given.
    if export.lowercased().hasSuffix(".npz") {
      throw ValidationError(
        Exports.isExport(checkpoint)
          ? "the arguments are swapped: verify takes the checkpoint first, then the export "
            + "(mixer-convert verify \(export) \(checkpoint))"
          : "\(export) is a checkpoint; verify compares a checkpoint with an export of it: give the export "
            + "second (mixer-convert \(checkpoint) OUT/ makes one)")
    }
    let request = VerificationRequest(checkpoint: checkpoint, export: export)
    let output = try parity.verify(parity.request(request, running: running))
    if reporting.json { try Console.printJSON(output.report) } else if reporting.text { output.printText() }
    try output.exitOnFailure(quiet: reporting.quiet)
  }
}

/// Text rendering of a ``ParityReport``.
struct ParityReportOutput: Encodable {
  let report: ParityReport
  init(_ report: ParityReport) { self.report = report }

  func encode(to encoder: Encoder) throws { try report.encode(to: encoder) }

  /// Exits with status 1 when the report failed, saying why in one line when `quiet` kept the
  /// report from being printed.
  func exitOnFailure(quiet: Bool) throws {
    guard !report.passed else { return }
    if quiet { Console.error(failure) }
    throw ExitCode(1)
  }

  /// `mixer-b16/: parity fails: logits differs by 0.00012 where 2.4e-05 is allowed`.
  var failure: String {
    var reasons = report.outputs.filter { !$0.passed }.map { o in
      o.nonFiniteValues > 0
        ? "\(o.name) holds \(o.nonFiniteValues) NaN or infinite value\(o.nonFiniteValues == 1 ? "" : "s")"
        : String(format: "%@ differs by %.3g where %.3g is allowed", o.name, o.maxAbsDiff, o.allowedMaxAbsDiff)
    }
    if !report.weights.passed { reasons.append("weights differ: " + report.weights.mismatched.joined(separator: ", ")) }
    if !report.nonFiniteWeights.isEmpty { reasons.append(Self.nonFiniteCause(report.nonFiniteWeights)) }
    return "\(report.export): parity fails: " + reasons.joined(separator: "; ")
  }

  /// `the checkpoint's weights hold NaN or infinity (head/kernel): …`, at most three named.
  static func nonFiniteCause(_ names: [String]) -> String {
    let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
    return "the checkpoint's weights hold NaN or infinity (\(shown)), so the original's outputs are not finite either"
  }

  func printText() {
    let r = report
    Console.line("verify: \(r.model) · \(r.export) against \(r.checkpoint)")
    Console.line(
      "  inputs: batch of \(r.batch), \(r.input); kernels \(r.kernels.rawValue); "
        + String(format: "tolerance atol %.0e + rtol %.0e × max|output|", r.tolerance.atol, r.tolerance.rtol))
    if !r.sourceMatches { Console.line("  note: the export was converted from a different file (SHA-256 differs)") }
    var rows = [["output", "max abs diff", "rel. to max", "cosine", "top-1", "top-5", "allowed", "result"]]
    for o in r.outputs {
      // With a NaN or an infinity among the values, the differences, the cosine and the top
      // classes mean nothing.
      let percent = { (value: Double?) in value.map { String(format: "%.0f%%", $0 * 100) } ?? "-" }
      let measures =
        o.nonFiniteValues > 0
        ? Array(repeating: "-", count: 5)
        : [
          String(format: "%.3g", o.maxAbsDiff), String(format: "%.3g", o.relativeMaxDiff),
          String(format: "%.9f", o.cosineSimilarity), percent(o.top1Agreement), percent(o.top5Overlap),
        ]
      rows.append(
        [o.name] + measures + [
          String(format: "%.3g", o.allowedMaxAbsDiff), o.passed ? "ok" : o.nonFiniteValues > 0 ? "NOT FINITE" : "DRIFT",
        ])
    }
    for line in InspectionText.table(rows, rightAligned: [1, 2, 3, 4, 5, 6]) { Console.line("  " + line) }
    let w = r.weights
    let after = w.transformed == 0 ? "" : " (\(w.transformed) after the transform graph.json records)"
    Console.line(
      "  weights: \(w.exact)/\(w.tensors) \(w.rule)" + after
        + (w.passed ? "" : "; differ: \(w.mismatched.joined(separator: ", "))")
        + (w.maxAbsDiff > 0
          ? String(format: " (max difference %.3g, relative %.3g)", w.maxAbsDiff, w.maxRelativeDiff) : ""))
    let effects = r.outputs.compactMap { o in o.dtypeEffect.map { String(format: "%@ %.3g", o.name, $0) } }
    if !effects.isEmpty {
      Console.line(
        "  the original with full-precision weights differs by (relative to max|output|): "
          + effects.joined(separator: ", ") + "; the rounding's cost, not judged")
    }
    if !r.nonFiniteWeights.isEmpty {
      Console.line("  cause: " + ParityReportOutput.nonFiniteCause(r.nonFiniteWeights))
    }
    let verdict =
      r.passed
      ? String(format: "parity: ok (%.2f s)", r.seconds)
      : r.outputs.contains { $0.nonFiniteValues > 0 }
        ? "parity: FAILED, outputs hold NaN or infinity"
        : r.outputs.allSatisfy(\.passed) ? "parity: FAILED, weights differ" : "parity: DRIFT beyond tolerance"
    Console.line(verdict)
  }
}
