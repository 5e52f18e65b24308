import Checkpoint
import Formats
import Foundation
import Graph
import Models

/// What writing an export back to a checkpoint should do.
public struct WriteBackRequest: Sendable {
  /// The export: a bundle, `.h5`, `.onnx`, timm or transformers folder.
  public var export: String
  /// The `.npz` to write.
  public var output: String
  /// Element type of the written tensors; nil keeps the export's.
  public var dtype: DType?
  /// Replace an existing output.
  public var replacing = false
  /// How the export is opened.
  public var opening = OpenOptions()

  public init(export: String, output: String) {
    self.export = export
    self.output = output
  }
}

/// Writes an export back into an `.npz` checkpoint in the original Flax names and layouts
/// (formats/npz-write-back.md): every weight under its Flax key (the key prefix the source had
/// restored), in its Flax shape (GroupNorm parameters as the source stored them; a position
/// embedding resized for another resolution in its new shape), members in natural key order,
/// stored as `np.savez` writes them. float32 values are the export's bytes, so a float32
/// checkpoint written back from any export of it holds bit-identical arrays.
public enum WriteBack {
  /// Writes `request.export` to `request.output`.
  ///
  /// - Parameter progress: called with bytes written and total after every tensor.
  public static func write(
    _ request: WriteBackRequest, progress: (Int, Int) -> Void = { _, _ in }
  ) throws -> ConversionSummary {
    let start = Date()
    guard request.output.lowercased().hasSuffix(".npz") else {
      throw ConversionError(path: request.output, reason: "an export is written back to an .npz checkpoint only")
    }
    try ExportFormat.refuseInsideExport(request.output)
    let export = try Exports.open(request.export, request.opening)
    let header = export.header
    let dtype = request.dtype ?? export.dtype
    try ResolvedConversion.checkExportable(dtype, output: request.output)
    let prefix = header.model.source.keyPrefix
    let tensors = header.weights.tensors.map { name, entry in
      (
        name: name, entry: entry,
        flax: FlaxTensor(
          key: prefix + entry.source,
          shape: entry.transform == nil ? entry.sourceShape : entry.shape)
      )
    }.sorted { NaturalOrder.less($0.flax.key, $1.flax.key) }
    var seen: Set<String> = []
    if let repeated = tensors.first(where: { !seen.insert($0.flax.key).inserted }) {
      throw ConversionError(
        path: request.export, reason: "two weights come from the Flax tensor '\(repeated.flax.key)'")
    }
    if let misshapen = tensors.first(where: { $0.flax.shape.reduce(1, *) != $0.entry.shape.reduce(1, *) }) {
      throw ConversionError(
        path: request.export,
        reason: "weight '\(misshapen.name)' has \(misshapen.entry.shape), which "
          + "its Flax shape \(misshapen.flax.shape) cannot hold")
    }
    let total = tensors.reduce(0) { $0 + $1.entry.shape.reduce(1, *) } * dtype.itemSize
    let writer = try NpzWriter(path: request.output, compression: .stored, replacing: request.replacing)
    var done = 0
    for tensor in tensors {
      let stored = export.storedBytes(of: tensor.name)!
      let count = stored.count / export.dtype.itemSize
      try writer.add(key: tensor.flax.key, dtype: dtype, shape: tensor.flax.shape) { sink in
        guard dtype != export.dtype else { return try sink(stored) }
        var converted = [UInt8](repeating: 0, count: count * dtype.itemSize)
        let overflowed = converted.withUnsafeMutableBytes {
          ElementConversion.convert(
            stored.baseAddress!, from: export.dtype, order: .little, to: $0.baseAddress!, as: dtype,
            count: count)
        }
        guard overflowed == 0 else {
          throw ConversionError.overflow(request.export, overflowed, tensor: tensor.name, as: dtype)
        }
        try converted.withUnsafeBytes { try sink($0) }
      }
      done += count * dtype.itemSize
      progress(done, total)
    }
    let identity = try writer.finish()
    return ConversionSummary(
      output: request.output, format: .npz, model: header.model.name, upstreamName: header.model.upstreamName,
      variant: ExportVariant(rawValue: header.model.variant) ?? .classification, parameters: header.model.parameters,
      tensors: tensors.count, storage: "in npz", notes: [], warnings: [],
      files: [(request.output as NSString).lastPathComponent],
      dtype: dtype, bytesWritten: total, outputBytes: ExportFormat.npz.diskSize(at: request.output),
      seconds: Date().timeIntervalSince(start), identity: identity)
  }
}
