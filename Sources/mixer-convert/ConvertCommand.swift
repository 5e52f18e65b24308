import ArgumentParser
import Bundle
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
      sibling of OUT and renamed into place at the end: a failure or an interrupt leaves nothing.

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

  @Option(help: "bundle or hdf5 (default: hdf5 when OUT ends in .h5 or .hdf5, bundle otherwise).")
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

  @Option(help: ArgumentHelp("Bundle: largest shard, in bytes (suffixes KB, MB, GB, KiB, MiB, GiB accepted).", valueName: "bytes"))
  var shardSize: ByteCount = ByteCount(BundleLayout.defaultShardSize)

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

  func validate() throws {
    guard shardSize.bytes > 0 else { throw ValidationError("--shard-size must be positive") }
    if let imageSize, imageSize < 1 { throw ValidationError("--image-size must be positive") }
    if h5Compress, (format ?? ExportFormat.implied(by: output)) != .hdf5 {
      throw ValidationError("--h5-compress applies to HDF5 output (an OUT ending in .h5, or --format hdf5)")
    }
  }

  func run() throws {
    var request = ConversionRequest(checkpoint: checkpoint, output: output)
    request.variant = variant
    request.imageSize = imageSize
    request.classifier = classifier
    request.dtype = dtype.dtype
    request.format = format
    request.compressHDF5 = h5Compress
    request.shardSize = shardSize.bytes
    request.replacing = force
    request.allowUnused = allowUnused
    let progress = ProgressBar(label: "convert", enabled: !quiet && !json)
    let summary = try Converter.convert(request) { progress.update(done: $0, total: $1) }
    progress.finish()
    var report: ParityReportOutput?
    if verify {
      var verification = VerificationRequest(checkpoint: checkpoint, export: output)
      verification.hdf5Reading = HDF5ReaderCommand.isolated
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
