import Checkpoint
import FileIO
import Formats
import Foundation
import Graph
import Models

/// A conversion request resolved against its checkpoint: the format to write and its options
/// with defaults filled in, the opened and recognised checkpoint, and the export plan.
struct ResolvedConversion {
  let request: ConversionRequest
  let format: ExportFormat
  /// The format-specific options as the export records them.
  let options: ExportOptions
  let checkpoint: OpenedCheckpoint
  let plan: ExportPlan

  /// Resolves `request`: the format (asked for, or implied by the output's suffix), options
  /// that all belong to it, the checkpoint recognised, and the plan for the variant, resolution
  /// and classifier asked for.
  ///
  /// - Throws: ``ConversionError`` naming the output or the checkpoint.
  init(_ request: ConversionRequest) throws {
    self.request = request
    try InputGuard.check(output: request.output, inputs: [request.checkpoint])
    try Self.checkExportable(request.dtype, output: request.output)
    guard let format = request.format ?? ExportFormat.implied(by: request.output) else {
      let suffixes = ExportFormat.allCases.flatMap(\.suffixes).joined(separator: ", ")
      throw ConversionError(
        path: request.output,
        reason: "its suffix names no export format (\(suffixes), or a folder "
          + "name without a suffix for a bundle); name the format to write")
    }
    if let misnaming = format.misnaming(request.output) {
      throw ConversionError(path: request.output, reason: misnaming)
    }
    if let option = request.options.given.subtracting(format.options).sorted(by: { $0.rawValue < $1.rawValue }).first {
      let owners = ExportFormat.allCases.filter { $0.options.contains(option) }.map(\.noun)
      throw ConversionError(
        path: request.output,
        reason: "the \(option.words) option applies to "
          + "\(owners.joined(separator: " or ")), not to \(format.noun)")
    }
    self.format = format
    options = request.options.resolved(for: format)
    checkpoint = try OpenedCheckpoint(path: request.checkpoint, allowUnused: request.allowUnused)
    let architecture = checkpoint.recognition.architecture
    do {
      plan = try (request.classifier.map(architecture.withClassifier) ?? architecture)
        .exportPlan(variant: request.variant, imageSize: request.imageSize)
    } catch let error as ExportError {
      throw ConversionError(path: request.checkpoint, reason: error.reason, remedy: error.remedy)
    }
  }

  /// Refuses an element type no export stores.
  static func checkExportable(_ dtype: DType, output: String) throws {
    guard [.float32, .float16, .bfloat16].contains(dtype) else {
      throw ConversionError(path: output, reason: "the export dtype must be float32, float16 or bfloat16")
    }
  }

  /// What the export computes.
  var variant: ExportVariant { plan.outputs[0].name == "features" ? .features : .classification }

  /// A size as `--shard-size` takes it: in the largest unit that divides it (`2GiB`, `500MB`),
  /// else in bytes (`1234 bytes`).
  static func sizeText(_ bytes: Int) -> String {
    let units = [
      ("TiB", 1 << 40), ("TB", 1_000_000_000_000), ("GiB", 1 << 30), ("GB", 1_000_000_000),
      ("MiB", 1 << 20), ("MB", 1_000_000), ("KiB", 1 << 10), ("KB", 1000),
    ]
    guard let (unit, size) = units.first(where: { bytes % $0.1 == 0 }) else { return "\(bytes) bytes" }
    return "\(bytes / size)\(unit)"
  }

  /// How `header` differs from the export this conversion would write, by everything but the
  /// source's bytes: the model's variant, resolution and classifier, the element type, the
  /// format's options and the source's size. Empty when it describes that export.
  func differences(from header: ExportHeader) -> [String] {
    var differences: [String] = []
    func compare(_ what: String, _ recorded: String, _ asked: String) {
      if recorded != asked { differences.append("\(what) \(recorded), not \(asked)") }
    }
    compare("variant", header.model.variant, variant.rawValue)
    compare("dtype", header.weights.dtype, request.dtype.rawValue)
    compare("image size", "\(header.input.shape.dropFirst().first ?? 0)", "\(plan.imageSize)")
    let classifier = { (value: ConfigValue?) in if case .string(let name) = value { name } else { "none" } }
    compare("classifier", classifier(header.model.config["classifier"]), classifier(plan.config["classifier"]))
    if header.formatOptions == nil { differences.append("no record of its format options (an older export)") }
    let recorded = header.formatOptions ?? options
    compare(
      "shard size", recorded.shardSize.map(Self.sizeText) ?? "none", options.shardSize.map(Self.sizeText) ?? "none")
    compare("compression", recorded.compressed ? "on" : "off", options.compressed ? "on" : "off")
    compare("external data", recorded.externalData ? "on" : "off", options.externalData ? "on" : "off")
    compare("a source of", "\(header.model.source.bytes) bytes", "\(checkpoint.file.fileSize) bytes")
    return differences
  }
}

/// Whether an output already holds what a conversion would write.
public enum OutputState: Sendable {
  /// Nothing is there.
  case absent
  /// The export there holds it (its header).
  case upToDate(ExportHeader)
  /// Something else is there, and why it is not the export asked for.
  case outdated(String)
}

extension Converter {
  /// Whether `request.output` already holds what converting `request` would write: an export
  /// of the same format whose header records the same options and the same source bytes (the
  /// source's SHA-256 is computed only when everything else agrees).
  ///
  /// - Parameter opening: how the existing export is opened (where an HDF5 file is read).
  public static func outputState(_ request: ConversionRequest, opening: OpenOptions) throws -> OutputState {
    guard FileManager.default.fileExists(atPath: request.output) else { return .absent }
    let resolved = try ResolvedConversion(request)
    guard (try? Exports.format(of: request.output)) == resolved.format else {
      return .outdated("is not \(resolved.format.noun) mixer-convert reads")
    }
    var options = opening
    options.checksums = false
    let header: ExportHeader
    do { header = try resolved.format.open(request.output, options).header } catch {
      return .outdated("cannot be read (\(error))")
    }
    let differences = resolved.differences(from: header)
    guard differences.isEmpty else { return .outdated("was made with " + differences.joined(separator: "; ")) }
    guard try SHA256Stream.file(request.checkpoint) == header.model.source.sha256 else {
      return .outdated("was converted from another file (the SHA-256 it records differs)")
    }
    return .upToDate(header)
  }
}
