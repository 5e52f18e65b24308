import ArgumentParser
import Formats
import Checkpoint
import Conversion
import Foundation
import Models

/// `mixer-convert convert` (the default command): checkpoint → bundle.
struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert a checkpoint (.npz) into a bundle (graph.json plus safetensors shards) or one HDF5 file.",
    discussion: """
      The bundle (formats/bundle-v1.md) holds the canonical layer graph, the input contract \
      and every weight under a framework-neutral name, with its original Flax name, a \
      CRC-32C per tensor and a SHA-256 per shard. An OUT ending in .h5 or .hdf5 (or \
      --format hdf5) writes the same content as one HDF5 file (formats/hdf5-layout.md) that \
      h5py and Keras users can read without this tool. Output is written to a temporary \
      sibling of OUT and moved into place in one atomic step at the end: OUT is always the \
      complete old or the complete new output, and a failure or an interrupt leaves nothing else.

      Examples:
        mixer-convert Mixer-B_16.npz mixer-b16/
        mixer-convert Mixer-B_16.npz mixer-b16-fe/ --variant features --dtype bfloat16
        mixer-convert ViT-B_16.npz vit-b16-384/ --image-size 384
        mixer-convert ViT-B_16.npz vit-b16.h5 --h5-compress
        mixer-convert Mixer-B_16.npz out/ --force --verify
      """)

  @Argument(help: "The .npz checkpoint.")
  var checkpoint: String

  @Argument(help: "The bundle folder, or .h5 file, to write.")
  var output: String

  @Option(help: ArgumentHelp(
    "The export format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).",
    discussion: "Default: the one OUT's suffix names (\(ExportFormat.allCases.flatMap(\.suffixes).joined(separator: ", "))); "
      + "a bundle folder for a name without a suffix."))
  var format: ExportFormat?

  @Flag(help: "HDF5: store each dataset in chunks, shuffled and gzip-compressed (level 4).")
  var h5Compress = false

  @Option(help: "classification (logits; the default with a head) or features (the pooled pre-head representation).")
  var variant: ExportVariant?

  @Option(help: "Input size in pixels (ViT only): resizes the position embedding as the original repository does.")
  var imageSize: Int?

  @Option(help: ArgumentHelp(
    "ViT pooling, when the checkpoint was trained unpooled: token_unpooled (class token kept) or unpooled (none).",
    discussion: "A checkpoint does not record it; the default is token with a 'cls' tensor, gap without."))
  var classifier: ViTClassifier?

  @Option(help: "Element type of the exported weights: float32 (lossless), float16 or bfloat16.")
  var dtype: ExportDType = .float32

  @Option(help: ArgumentHelp("Bundle: largest shard, in bytes (suffixes KB, MB, GB, KiB, MiB, GiB accepted; default 2GiB).",
                             valueName: "bytes"))
  var shardSize: ByteCount?

  @Flag(help: "Replace OUT if it exists.")
  var force = false

  @Flag(help: "Convert even if the checkpoint holds tensors the model does not use.")
  var allowUnused = false

  @Flag(help: "Verify the bundle against the checkpoint right after converting (exit 1 on drift).")
  var verify = false

  @Option(help: "Threads for --verify (default: all cores).")
  var threads: Int?

  @Flag(help: "Print nothing but errors.")
  var quiet = false

  @Flag(help: "Print a JSON summary (and the verification report with --verify).")
  var json = false

  /// The flag that sets each format-specific option.
  static let optionFlags: [ExportOption: String] = [.shardSize: "--shard-size", .compression: "--h5-compress"]

  var options: ExportOptions {
    var options = ExportOptions()
    options.shardSize = shardSize?.bytes
    options.compressed = h5Compress
    return options
  }

  func validate() throws {
    if let imageSize, imageSize < 1 { throw ValidationError("--image-size must be positive") }
    guard let chosen = format ?? ExportFormat.implied(by: output) else {
      throw ValidationError("\(output): the suffix names no export format; pass --format "
                            + ExportFormat.allCases.map(\.rawValue).joined(separator: "|"))
    }
    for option in options.given.subtracting(chosen.options).sorted(by: { $0.rawValue < $1.rawValue }) {
      let owner = ExportFormat.allCases.first { $0.options.contains(option) }!
      throw ValidationError("\(Self.optionFlags[option]!) applies to \(owner.rawValue) output (\(owner.noun)), "
                            + "not \(chosen.rawValue)")
    }
  }

  func run() throws {
    var request = ConversionRequest(checkpoint: checkpoint, output: output)
    request.variant = variant
    request.imageSize = imageSize
    request.classifier = classifier
    request.dtype = dtype.dtype
    request.format = format
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
      if let report { report.printText() }
    }
    if let report, !report.report.passed { throw ExitCode(1) }
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
