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

  /// Whether `header` describes the export this conversion would write, by everything but the
  /// source's bytes: the source's size, the model's variant, resolution and classifier, the
  /// element type and the format's options.
  func describes(_ header: ExportHeader) -> Bool {
    header.formatOptions == options && header.model.source.bytes == checkpoint.file.fileSize
      && header.model.variant == variant.rawValue && header.weights.dtype == request.dtype.rawValue
      && header.input.shape == [-1, plan.imageSize, plan.imageSize, 3]
      && header.model.config["classifier"] == plan.config["classifier"]
  }
}

extension Converter {
  /// The header of the export at `request.output` when it already holds what converting
  /// `request` would write: an export of the same format whose header records the same options
  /// and the same source bytes (the source's SHA-256 is computed only when everything else
  /// agrees); nil otherwise.
  ///
  /// - Parameter opening: how the existing export is opened (where an HDF5 file is read).
  public static func upToDateHeader(_ request: ConversionRequest, opening: OpenOptions) throws -> ExportHeader? {
    guard FileManager.default.fileExists(atPath: request.output) else { return nil }
    let resolved = try ResolvedConversion(request)
    guard (try? Exports.format(of: request.output)) == resolved.format else { return nil }
    var options = opening
    options.checksums = false
    guard let header = try? resolved.format.open(request.output, options).header, resolved.describes(header) else {
      return nil
    }
    return try SHA256Stream.file(request.checkpoint) == header.model.source.sha256 ? header : nil
  }
}
