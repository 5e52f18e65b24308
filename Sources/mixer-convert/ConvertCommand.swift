import ArgumentParser
import Checkpoint
import Conversion
import FileIO
import Formats
import Foundation
import Graph
import Models

/// `mixer-convert convert` (the default command): checkpoint → export.
struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract:
      "Convert a checkpoint (.npz) into a bundle (graph.json plus safetensors shards), one HDF5 file, one ONNX file, "
      + "a timm or transformers folder, or an .npz again; or an export back into an .npz.",
    discussion: """
      The bundle (formats/bundle-v1.md) holds the canonical layer graph, the input contract \
      and every weight under a framework-neutral name, with its original Flax name, a \
      CRC-32C per tensor and a SHA-256 per shard. An OUT ending in .h5 or .hdf5 (or \
      --format hdf5) writes the same content as one HDF5 file (formats/hdf5-layout.md) that \
      h5py and Keras users can read without this tool. An OUT ending in .onnx (or --format \
      onnx) writes an ONNX model (opset 21, standard operators, the original numerics) that \
      ONNX Runtime, OpenVINO and other ONNX consumers load (formats/onnx-layout.md); weights \
      over 2 GiB go to a data file beside it. --format timm writes a folder timm loads with \
      create_model('local-dir:OUT', pretrained=True) (formats/timm-layout.md); --format \
      transformers a folder Hugging Face transformers loads with from_pretrained(OUT) \
      (formats/transformers-layout.md). An OUT ending in .npz is a checkpoint in the original \
      Flax layout (another --dtype or --image-size); given an export instead of a checkpoint, \
      convert writes it back to an .npz (formats/npz-write-back.md). Output is written to a temporary sibling of OUT \
      and moved into place in one atomic step at the end: OUT is always the complete old or \
      the complete new output, and a failure or an interrupt leaves nothing else. With \
      --verify the export is verified there, before that step: one that drifts is never put \
      in place (exit 1), and an OUT --force would replace stays as it was.

      Examples:
        mixer-convert Mixer-B_16.npz mixer-b16/
        mixer-convert Mixer-B_16.npz mixer-b16-fe/ --variant features --dtype bfloat16
        mixer-convert ViT-B_16.npz vit-b16-384/ --image-size 384
        mixer-convert ViT-B_16.npz vit-b16.h5 --h5-compress
        mixer-convert ViT-B_16.npz vit-b16.onnx --verify
        mixer-convert ViT-H_14.npz vit-h14.onnx          (weights in vit-h14.onnx.<hash>.data)
        mixer-convert Mixer-B_16.npz out/ --force --verify
        mixer-convert ViT-B_16.npz vit-b16/ --verify --input images.npy --rtol 1e-4
        mixer-convert ViT-B_16.npz vit-b16-timm/ --format timm
        mixer-convert ViT-B_16.npz vit-b16-hf/ --format transformers
        mixer-convert ViT-B_16.npz ViT-B_16-bf16.npz --dtype bfloat16
        mixer-convert vit-b16.onnx ViT-B_16-again.npz   (an export back to a checkpoint)
      """)

  @Argument(help: "The .npz checkpoint (or, to write it back to an .npz, an export).")
  var checkpoint: String

  @Argument(help: "The bundle folder, .h5 file, .onnx file, timm or transformers folder, or .npz file to write.")
  var output: String

  @OptionGroup(title: "Export options")
  var export: ExportArguments

  @Flag(
    help: ArgumentHelp(
      "Verify the export against the checkpoint before putting it in place, as verify does, with its inputs "
        + "and tolerance: one that drifts is not written (exit 1)."))
  var verify = false

  @OptionGroup(title: "Inputs and tolerance (with --verify)")
  var parity: ParityArguments

  @OptionGroup(title: "Running (with --verify)")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func run() throws {
    let source = PathArgument.normalized(checkpoint)
    if Exports.isExport(source) {
      // A bundle whose graph is damaged gets its own error from writing it back.
      let hasGraph = FileManager.default.fileExists(atPath: source + "/" + BundleLayout.graphFile)
      guard Exports.holdsExport(source) || hasGraph else {
        throw ValidationError(
          "\(checkpoint) is a folder that holds no export (no \(BundleLayout.graphFile), nor a timm or transformers "
            + "model); convert takes an .npz checkpoint (a folder of them: mixer-convert convert-all)")
      }
      return try writeBack()
    }
    let request = try export.request(checkpoint: checkpoint, output: output)
    try running.refuseWithoutVerify(verify)
    try parity.refuseWithoutVerify(verify)
    if verify, request.format == .npz {
      throw ValidationError("--verify checks an export; an .npz output is a checkpoint (verify an export of it)")
    }
    if request.classifier != nil, request.format == .npz {
      throw ValidationError(
        "--classifier says how an export pools; an .npz output is a checkpoint, which does not record it "
          + "(give it when converting that checkpoint)")
    }
    var verification = VerificationRequest(checkpoint: request.checkpoint, export: request.output)
    verification.allowUnused = export.allowUnused
    let outputExisted = FileManager.default.fileExists(atPath: request.output)
    let progress = ProgressBar(label: "convert", enabled: reporting.text)
    // Before anything is written: an input or a batch that cannot run leaves no export behind.
    let checked = parity.request(verification, running: running)
    var report: ParityReportOutput?
    let summary: ConversionSummary
    do {
      summary = try Converter.convert(
        request, progress: { progress.update(done: $0, total: $1) },
        beforeWriting: verify ? { try Verifier.checkBeforeConverting(checked, preview: $0) } : nil,
        beforeCommit: { staged in
          progress.finish()
          // In every mode, as other warnings are (--quiet prints errors and warnings), and
          // before a verification they may explain.
          for warning in staged.warnings { Console.warning(warning) }
          // Verified before it is put in place: an export that drifts, or cannot be verified,
          // is never written, and an output --force would replace stays as it was.
          guard verify else { return }
          let verified = try verifyStaged(staged.files, as: checked, replacing: outputExisted)
          report = verified
          if !verified.report.passed { throw NotWritten() }
        })
    } catch is NotWritten {
      try Self.refuse(report!, json: reporting.json, text: reporting.text, replacing: outputExisted)
    }
    report = report.map { ParityReportOutput($0.report.naming(request.output, identity: summary.identity)) }
    if reporting.json {
      struct Combined: Encodable {
        let conversion: ConversionSummary
        let verification: ParityReportOutput?
      }
      try Console.printJSON(Combined(conversion: summary, verification: report))
    } else if reporting.text {
      Console.line(summary.line)
      for note in summary.notes { Console.line("note: " + note) }
      if let report { report.printText() }
    }
  }

  /// The verification of the export `staged`, as `checked` asks for the output: its report and
  /// its errors name the output's files, not the temporary siblings they are in; one that
  /// cannot run says that an output it would be `replacing` stays.
  private func verifyStaged(
    _ staged: StagedFiles, as checked: VerificationRequest, replacing: Bool
  ) throws -> ParityReportOutput {
    var request = checked
    request.export = staged.path
    request.opening.stagedSiblings = staged.siblings
    do {
      return ParityReportOutput(try parity.verify(request).report.naming(checked.export, identity: nil))
    } catch let error where !(error is Interrupted) {
      let line = staged.naming(ErrorHints.line(for: error), asCommittedTo: checked.export)
      throw CommandFailure(message: line + "; the export was not written" + Self.kept(replacing), status: 2)
    }
  }

  /// Prints the report of an export that failed its verification before it was put in place
  /// (with `--json` under `verification`, with no `conversion`), then fails with status 1
  /// saying that nothing was written.
  private static func refuse(_ output: ParityReportOutput, json: Bool, text: Bool, replacing: Bool) throws -> Never {
    if json {
      struct Refused: Encodable { let verification: ParityReportOutput }
      try Console.printJSON(Refused(verification: output))
    } else if text {
      output.printText()
    }
    throw CommandFailure(message: output.failure + "; the export was not written" + kept(replacing), status: 1)
  }

  /// What a failure that wrote nothing says of the output it would have been `replacing`.
  private static func kept(_ replacing: Bool) -> String { replacing ? " (the one there before stays as it was)" : "" }

  /// An export that failed its verification before it was put in place.
  private struct NotWritten: Error {}

  /// An export given where the checkpoint goes: written back to an .npz checkpoint.
  private func writeBack() throws {
    guard (export.format ?? ExportFormat.implied(by: output)) == .npz else {
      throw ValidationError(
        "\(checkpoint) is an export: it can be written back to an .npz checkpoint only; for another "
          + "export format, convert the checkpoint")
    }
    if let flag = (export.checkpointOnlyFlags + (verify ? ["--verify"] : []) + parity.givenFlags).first {
      throw ValidationError("\(flag) applies to converting a checkpoint, not to writing an export back to .npz")
    }
    if running.threads != nil {
      throw ValidationError("--threads does not apply to writing an export back: it runs no model")
    }
    if running.noChecksum {
      throw ValidationError(
        "--no-checksum does not apply to writing an export back: its weights are checked, so that a damaged "
          + "export never becomes a checkpoint that looks whole")
    }
    var request = WriteBackRequest(export: PathArgument.normalized(checkpoint), output: PathArgument.normalized(output))
    request.dtype = export.dtype?.dtype
    request.replacing = export.force
    request.opening = running.opening
    let progress = ProgressBar(label: "write back", enabled: reporting.text)
    let summary = try WriteBack.write(request) { progress.update(done: $0, total: $1) }
    progress.finish()
    if reporting.json {
      try Console.printJSON(["conversion": summary])
    } else if reporting.text {
      Console.line(summary.line)
    }
  }
}
