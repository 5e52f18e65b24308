import ArgumentParser
import Checkpoint
import Conversion
import Formats
import Foundation
import Models

/// `mixer-convert convert` (the default command): checkpoint → export.
struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert a checkpoint (.npz) into a bundle (graph.json plus safetensors shards), one HDF5 file, one ONNX file, "
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
      convert writes it back to an .npz (formats/npz-write-back.md). Output is written to a \
      temporary sibling of OUT and renamed into place at the end: a failure or an interrupt \
      leaves nothing.

      Examples:
        mixer-convert Mixer-B_16.npz mixer-b16/
        mixer-convert Mixer-B_16.npz mixer-b16-fe/ --variant features --dtype bfloat16
        mixer-convert ViT-B_16.npz vit-b16-384/ --image-size 384
        mixer-convert ViT-B_16.npz vit-b16.h5 --h5-compress
        mixer-convert ViT-B_16.npz vit-b16.onnx --verify
        mixer-convert ViT-H_14.npz vit-h14.onnx          (weights in vit-h14.onnx.<hash>.data)
        mixer-convert Mixer-B_16.npz out/ --force --verify
        mixer-convert ViT-B_16.npz vit-b16-timm/ --format timm
        mixer-convert ViT-B_16.npz vit-b16-hf/ --format transformers
        mixer-convert ViT-B_16.npz ViT-B_16-bf16.npz --dtype bfloat16
        mixer-convert vit-b16.onnx ViT-B_16-again.npz   (an export back to a checkpoint)
      """)

  @Argument(help: "The .npz checkpoint (or, to write it back to an .npz, an export).")
  var checkpoint: String

  @Argument(help: "The bundle folder, .h5 file, .onnx file, timm or transformers folder, or .npz file to write.")
  var output: String

  @Option(help: ArgumentHelp(
    "The export format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).",
    discussion: "Default: the one OUT's suffix names (\(ExportFormat.allCases.flatMap(\.suffixes).joined(separator: ", "))); "
      + "a bundle folder for a name without a suffix."))
  var format: ExportFormat?

  @Flag(help: "HDF5: store each dataset in chunks, shuffled and gzip-compressed (level 4).")
  var h5Compress = false

  @Flag(help: "ONNX: keep the weights in a data file beside the model even when they fit in it (automatic over 2 GiB).")
  var externalData = false

  @Option(help: "classification (logits; the default with a head) or features (the pooled pre-head representation).")
  var variant: ExportVariant?

  @Option(help: "Input size in pixels (ViT only): resizes the position embedding as the original repository does.")
  var imageSize: Int?

  @Option(help: ArgumentHelp(
    "ViT pooling, when the checkpoint was trained unpooled: token_unpooled (class token kept) or unpooled (none).",
    discussion: "A checkpoint does not record it; the default is token with a 'cls' tensor, gap without."))
  var classifier: ViTClassifier?

  @Option(help: "Element type of the exported weights: float32 (lossless, the default), float16 or bfloat16 (writing an export back: the export's).")
  var dtype: ExportDType?

  @Option(help: ArgumentHelp("Bundle: largest shard, in bytes (suffixes KB, MB, GB, KiB, MiB, GiB accepted; default 2GiB).",
                             valueName: "bytes"))
  var shardSize: ByteCount?

  @Flag(help: "Replace OUT if it exists.")
  var force = false

  @Flag(help: "Convert even if the checkpoint holds tensors the model does not use.")
  var allowUnused = false

  @Flag(help: "Verify the export against the checkpoint right after converting (exit 1 on drift).")
  var verify = false

  @Option(help: "Threads for --verify (default: all cores).")
  var threads: Int?

  @Flag(help: "Print nothing but errors.")
  var quiet = false

  @Flag(help: "Print a JSON summary (and the verification report with --verify).")
  var json = false

  /// The flag that sets each format-specific option.
  static let optionFlags: [ExportOption: String] = [
    .shardSize: "--shard-size", .compression: "--h5-compress", .externalData: "--external-data",
  ]

  var options: ExportOptions {
    var options = ExportOptions()
    options.shardSize = shardSize?.bytes
    options.compressed = h5Compress
    options.externalData = externalData
    return options
  }

  func validate() throws {
    if let imageSize, imageSize < 1 { throw ValidationError("--image-size must be positive") }
  }

  /// The format to write, with only its own options given.
  private func checkedFormat() throws -> ExportFormat {
    guard let chosen = format ?? ExportFormat.implied(by: output) else {
      throw ValidationError("\(output): the suffix names no export format; pass --format "
                            + ExportFormat.allCases.map(\.rawValue).joined(separator: "|"))
    }
    for option in options.given.subtracting(chosen.options).sorted(by: { $0.rawValue < $1.rawValue }) {
      let owner = ExportFormat.allCases.first { $0.options.contains(option) }!
      throw ValidationError("\(Self.optionFlags[option]!) applies to \(owner.rawValue) output (\(owner.noun)), "
                            + "not \(chosen.rawValue)")
    }
    return chosen
  }

  func run() throws {
    if Exports.isExport(checkpoint) { return try writeBack() }
    var request = ConversionRequest(checkpoint: checkpoint, output: output)
    request.variant = variant
    request.imageSize = imageSize
    request.classifier = classifier
    request.dtype = dtype?.dtype ?? .float32
    request.format = try checkedFormat()
    if verify, request.format == .npz {
      throw ValidationError("--verify checks an export; an .npz output is a checkpoint (verify an export of it)")
    }
    request.options = options
    request.replacing = force
    request.allowUnused = allowUnused
    let progress = ProgressBar(label: "convert", enabled: !quiet && !json)
    let summary = try Converter.convert(request) { progress.update(done: $0, total: $1) }
    progress.finish()
    var report: ParityReportOutput?
    if verify {
      var verification = VerificationRequest(checkpoint: checkpoint, export: output)
      verification.opening.hdf5 = HDF5ReaderCommand.isolated
      verification.threads = threads
      verification.allowUnused = allowUnused
      report = ParityReportOutput(try Verifier.verify(verification))
    }
    if json {
      struct Combined: Encodable {
        let conversion: ConversionSummary
        let verification: ParityReportOutput?
      }
      try Console.printJSON(Combined(conversion: summary, verification: report))
    } else if !quiet {
      print(summary.line)
      for note in summary.notes { print("note: " + note) }
      if let report { report.printText() }
    }
    if let report, !report.report.passed { throw ExitCode(1) }
  }

  /// An export given where the checkpoint goes: written back to an .npz checkpoint.
  private func writeBack() throws {
    guard (format ?? ExportFormat.implied(by: output)) == .npz else {
      throw ValidationError("\(checkpoint) is an export: it can be written back to an .npz checkpoint only; for another "
                            + "export format, convert the checkpoint")
    }
    let given: [(String, Bool)] = [
      ("--variant", variant != nil), ("--image-size", imageSize != nil), ("--classifier", classifier != nil),
      ("--shard-size", shardSize != nil), ("--h5-compress", h5Compress), ("--external-data", externalData),
      ("--allow-unused", allowUnused), ("--verify", verify), ("--threads", threads != nil),
    ]
    if let flag = given.first(where: \.1)?.0 {
      throw ValidationError("\(flag) applies to converting a checkpoint, not to writing an export back to .npz")
    }
    var request = WriteBackRequest(export: checkpoint, output: output)
    request.dtype = dtype?.dtype
    request.replacing = force
    request.opening.hdf5 = HDF5ReaderCommand.isolated
    let progress = ProgressBar(label: "write back", enabled: !quiet && !json)
    let summary = try WriteBack.write(request) { progress.update(done: $0, total: $1) }
    progress.finish()
    if json {
      try Console.printJSON(["conversion": summary])
    } else if !quiet {
      print(summary.line)
    }
  }
}

/// The dtypes an export can have.
enum ExportDType: String, ExpressibleByArgument, CaseIterable {
  case float32, float16, bfloat16
  var dtype: DType { DType(rawValue: rawValue)! }
}

extension ExportVariant: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}
extension ViTClassifier: ExpressibleByArgument {}

/// A size in bytes, written as a number with an optional unit.
struct ByteCount: ExpressibleByArgument, CustomStringConvertible {
  let bytes: Int
  init(_ bytes: Int) { self.bytes = bytes }

  init?(argument: String) {
    let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
                                  ("GB", 1_000_000_000), ("B", 1)]
    var text = argument.trimmingCharacters(in: .whitespaces)
    var factor = 1
    if let (suffix, value) = units.first(where: { text.hasSuffix($0.0) }) {
      factor = value
      text = String(text.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
    }
    guard let number = Double(text), number > 0, number * Double(factor) < 1e18 else { return nil }
    bytes = Int(number * Double(factor))
  }

  var description: String { bytes % (1 << 30) == 0 ? "\(bytes >> 30)GiB" : "\(bytes)" }
}
