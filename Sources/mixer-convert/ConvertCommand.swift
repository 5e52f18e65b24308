import ArgumentParser
import Checkpoint
import Conversion
import Formats
import Graph
import Foundation
import Models

/// `mixer-convert convert` (the default command): checkpoint → export.
struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert a checkpoint (.npz) into a bundle (graph.json plus safetensors shards), one HDF5 file or one ONNX file.",
    discussion: """
      The bundle (formats/bundle-v1.md) holds the canonical layer graph, the input contract \
      and every weight under a framework-neutral name, with its original Flax name, a \
      CRC-32C per tensor and a SHA-256 per shard. An OUT ending in .h5 or .hdf5 (or \
      --format hdf5) writes the same content as one HDF5 file (formats/hdf5-layout.md) that \
      h5py and Keras users can read without this tool. An OUT ending in .onnx (or --format \
      onnx) writes an ONNX model (opset 21, standard operators, the original numerics) that \
      ONNX Runtime, OpenVINO and other ONNX consumers load (formats/onnx-layout.md); weights \
      over 2 GiB go to a data file beside it. Output is written to a temporary sibling of OUT \
      and moved into place in one atomic step at the end: OUT is always the complete old or \
      the complete new output, and a failure or an interrupt leaves nothing else.

      Examples:
        mixer-convert Mixer-B_16.npz mixer-b16/
        mixer-convert Mixer-B_16.npz mixer-b16-fe/ --variant features --dtype bfloat16
        mixer-convert ViT-B_16.npz vit-b16-384/ --image-size 384
        mixer-convert ViT-B_16.npz vit-b16.h5 --h5-compress
        mixer-convert ViT-B_16.npz vit-b16.onnx --verify
        mixer-convert ViT-H_14.npz vit-h14.onnx          (weights in vit-h14.onnx.<hash>.data)
        mixer-convert Mixer-B_16.npz out/ --force --verify
      """)

  @Argument(help: "The .npz checkpoint.")
  var checkpoint: String

  @Argument(help: "The bundle folder, .h5 file or .onnx file to write.")
  var output: String

  @OptionGroup(title: "Export options")
  var export: ExportArguments

  @Flag(help: "Verify the export against the checkpoint right after converting (exit 1 on drift).")
  var verify = false

  @OptionGroup(title: "Running (with --verify)")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func run() throws {
    let request = try export.request(checkpoint: checkpoint, output: output)
    let progress = ProgressBar(label: "convert", enabled: reporting.text)
    let summary = try Converter.convert(request) { progress.update(done: $0, total: $1) }
    progress.finish()
    var report: ParityReportOutput?
    if verify {
      var verification = VerificationRequest(checkpoint: request.checkpoint, export: request.output)
      verification.opening.hdf5 = HDF5ReaderCommand.isolated
      verification.threads = running.threads
      verification.opening.checksums = !running.noChecksum
      verification.allowUnused = export.allowUnused
      report = ParityReportOutput(try Verifier.verify(verification))
    }
    if reporting.json {
      struct Combined: Encodable {
        let conversion: ConversionSummary
        let verification: ParityReportOutput?
      }
      try Console.printJSON(Combined(conversion: summary, verification: report))
    } else if reporting.text {
      print(summary.line)
      if let report { report.printText() }
    }
    if let report, !report.report.passed { throw ExitCode(1) }
  }
}

