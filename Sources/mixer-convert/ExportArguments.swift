import ArgumentParser
import Checkpoint
import Conversion
import Formats
import Graph
import Models

/// The options that say what export to write, shared by `convert` and `convert-all`.
struct ExportArguments: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The export format: \(ExportFormat.allCases.map { $0 == .npz ? "npz (convert only)" : $0.rawValue }.joined(separator: ", ")).",
      discussion:
        "Default: the one the output's suffix names (\(ExportFormat.allCases.flatMap(\.suffixes).joined(separator: ", "))); "
        + "a bundle folder for a name without a suffix, and for convert-all."))
  var format: ExportFormat?

  @Option(help: "classification (logits; the default with a head) or features (the pooled pre-head representation).")
  var variant: ExportVariant?

  @Option(help: "Input size in pixels (ViT only): resizes the position embedding as the original repository does.")
  var imageSize: Int?

  @Option(
    help: ArgumentHelp(
      "ViT pooling, when the checkpoint was trained unpooled: token_unpooled (class token kept) or unpooled (none).",
      discussion: "A checkpoint does not record it; the default is token with a 'cls' tensor, gap without."))
  var classifier: ViTClassifier?

  @Option(
    help:
      "Element type of the exported weights: float32 (lossless, the default), float16 or bfloat16 (writing an export back: the export's)."
  )
  var dtype: ExportDType?

  @Option(
    help: ArgumentHelp(
      "Bundle: largest shard, in bytes (suffixes KB, MB, GB, TB, KiB, MiB, GiB, TiB accepted; default 2GiB).",
      valueName: "bytes"), transform: ByteCount.parse(shardSize:))
  var shardSize: ByteCount?

  @Flag(help: "HDF5: store each dataset in chunks, shuffled and gzip-compressed (level 4).")
  var h5Compress = false

  @Flag(help: "ONNX: keep the weights in a data file beside the model even when they fit in it (automatic over 2 GiB).")
  var externalData = false

  @Flag(
    help: """
      Replace an existing output. An export folder is replaced whole, so one that also holds \
      files its export does not write is refused, as is a folder that holds no export.
      """)
  var force = false

  @Flag(help: "Convert even if the checkpoint holds tensors the model does not use.")
  var allowUnused = false

  /// The flag that sets each format-specific option.
  static let optionFlags: [ExportOption: String] = [
    .shardSize: "--shard-size", .compression: "--h5-compress", .externalData: "--external-data",
  ]

  func validate() throws {
    if let imageSize, imageSize < 1 { throw ValidationError("--image-size must be positive") }
  }

  /// The format-specific options given.
  var options: ExportOptions {
    var options = ExportOptions()
    options.shardSize = shardSize?.bytes
    options.compressed = h5Compress
    options.externalData = externalData
    return options
  }

  /// The format to write to `output` (nil: a batch's folders), with only its own options given.
  func checkedFormat(for output: String?) throws -> ExportFormat {
    guard let chosen = format ?? output.map(ExportFormat.implied(by:)) ?? .bundle else {
      throw ValidationError(
        "\(output ?? ""): the suffix names no export format; pass --format "
          + ExportFormat.allCases.map(\.rawValue).joined(separator: "|"))
    }
    if let output, PathArgument.namesFolder(output), !chosen.isFolder {
      // `x.onnx/` needs only its slash dropped; `x/` a suffix too.
      let name = PathArgument.normalized(output)
      let example =
        chosen.suffixes.contains { name.lowercased().hasSuffix($0) } ? name : name + (chosen.suffixes.first ?? "")
      throw ValidationError(
        "\(output) names a folder, but \(chosen.rawValue) output is \(chosen.noun); give a file name (e.g. \(example))")
    }
    for option in options.given.subtracting(chosen.options).sorted(by: { $0.rawValue < $1.rawValue }) {
      let owner = ExportFormat.allCases.first { $0.options.contains(option) }!
      throw ValidationError(
        "\(Self.optionFlags[option]!) applies to \(owner.rawValue) output (\(owner.noun)), "
          + "not \(chosen.rawValue)")
    }
    return chosen
  }

  /// The conversion these options ask for.
  func request(checkpoint: String, output: String?) throws -> ConversionRequest {
    var request = ConversionRequest(
      checkpoint: PathArgument.normalized(checkpoint),
      output: output.map(PathArgument.normalized) ?? "")
    request.variant = variant
    request.imageSize = imageSize
    request.classifier = classifier
    request.dtype = dtype?.dtype ?? .float32
    request.format = try checkedFormat(for: output)
    request.options = options
    request.replacing = force
    request.allowUnused = allowUnused
    return request
  }

  /// The flags given that only converting a checkpoint takes (not writing an export back), in
  /// the order of the help.
  var checkpointOnlyFlags: [String] {
    [("--variant", variant != nil), ("--image-size", imageSize != nil), ("--classifier", classifier != nil)]
      .filter(\.1).map(\.0)
      + ExportOption.allCases.filter(options.given.contains).map { Self.optionFlags[$0]! }
      + (allowUnused ? ["--allow-unused"] : [])
  }

  /// The same options as command-line arguments (for a child `convert`).
  static func arguments(for request: ConversionRequest) -> [String] {
    var arguments = ["--dtype", request.dtype.rawValue]
    if let format = request.format { arguments += ["--format", format.rawValue] }
    if let variant = request.variant { arguments += ["--variant", variant.rawValue] }
    if let imageSize = request.imageSize { arguments += ["--image-size", String(imageSize)] }
    if let classifier = request.classifier { arguments += ["--classifier", classifier.rawValue] }
    if let shardSize = request.options.shardSize { arguments += ["--shard-size", String(shardSize)] }
    if request.options.compressed { arguments.append(optionFlags[.compression]!) }
    if request.options.externalData { arguments.append(optionFlags[.externalData]!) }
    if request.replacing { arguments.append("--force") }
    if request.allowUnused { arguments.append("--allow-unused") }
    return arguments
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
struct ByteCount {
  let bytes: Int

  /// The largest size accepted: 1 EB, far beyond any checkpoint, and below `Int.max`.
  static let largest = 1e18

  /// A `--shard-size` value, or a one-line reason it is not one.
  static func parse(shardSize text: String) throws -> ByteCount {
    guard let size = value(of: text) else {
      throw ValidationError(
        "give a decimal number of bytes with an optional unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB), such as 500MB or "
          + "2GiB")
    }
    guard size >= 1 else { throw ValidationError("give a size of at least one byte") }
    guard size < largest else { throw ValidationError("too large: a shard holds less than 1 EB (1e18 bytes)") }
    return ByteCount(bytes: Int(size))
  }

  /// The units a size may end with, and their bytes.
  static let units: [(suffix: String, bytes: Int)] = [
    ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 1000), ("MB", 1_000_000),
    ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
  ]

  /// The bytes a decimal number (no hex, no `inf`) with an optional unit gives, nil when the
  /// text is no such number.
  static func value(of argument: String) -> Double? {
    var text = argument.trimmingCharacters(in: .whitespaces)
    var factor = 1
    if let unit = units.first(where: { text.hasSuffix($0.suffix) }) {
      factor = unit.bytes
      text = String(text.dropLast(unit.suffix.count)).trimmingCharacters(in: .whitespaces)
    }
    guard text.allSatisfy({ "0123456789.eE+-".contains($0) }), let number = Double(text), number.isFinite else {
      return nil
    }
    return number * Double(factor)
  }
}
