import Checkpoint
import Classification
import FileIO
import Formats
import Foundation
import Graph
import Models

/// What `convert` should do.
public struct ConversionRequest: Sendable {
  public var checkpoint: String
  public var output: String
  /// nil: classification when the checkpoint has a head, features otherwise.
  public var variant: ExportVariant?
  /// Input side in pixels; nil keeps the resolution the weights were trained at. ViTs are
  /// exported at another one by resizing the position embedding.
  public var imageSize: Int?
  /// How a ViT pools its tokens, when not as recognised (`token_unpooled`, `unpooled`).
  public var classifier: ViTClassifier?
  /// Element type of the exported weights.
  public var dtype: DType = .float32
  /// The export format; nil: the one the output's suffix implies (``ExportFormat/implied(by:)``).
  public var format: ExportFormat?
  /// Options of the chosen format; an option of another format is refused.
  public var options = ExportOptions()
  /// Replace an existing output.
  public var replacing = false
  /// Convert even if the checkpoint holds tensors the architecture does not use.
  public var allowUnused = false

  public init(checkpoint: String, output: String) {
    self.checkpoint = checkpoint
    self.output = output
  }
}

/// What `convert` wrote.
public struct ConversionSummary: Encodable, Sendable {
  public let output: String
  public let format: ExportFormat
  public let model: String
  public let upstreamName: String?
  public let variant: ExportVariant
  public let parameters: Int
  public let tensors: Int
  /// How the weights are stored (`in 2 shards`, `in HDF5`).
  public let storage: String
  /// What a user of the export must know that the format cannot say (see ``WrittenExport/notes``).
  public let notes: [String]
  /// What a user must know of the weights themselves, shown even under `--quiet`: the tensors
  /// that hold NaN or infinite values, as the checkpoint does.
  public let warnings: [String]
  /// The files written.
  public let files: [String]
  public let dtype: DType
  /// Bytes of tensor data.
  public let bytesWritten: Int
  /// Size of the output on disk (all files of a bundle).
  public let outputBytes: Int
  /// How long the conversion took, without what its `beforeCommit` did (a verification).
  public let seconds: Double
  /// The output as the commit put it in place (``WrittenExport/identity``); not in the JSON.
  public let identity: FileIdentity?

  private enum CodingKeys: String, CodingKey {
    case output, format, model, upstreamName, variant, parameters, tensors, storage, notes, warnings, files, dtype
    case bytesWritten, outputBytes, seconds
  }

  /// `Mixer-B/16 · 59,880,472 params · float32 · 228.4 MiB in 1 shard · 0.41 s → out/`.
  public var line: String {
    let size = String(format: "%.1f MiB", Double(bytesWritten) / 1_048_576)
    return "\(model) · \(groupedDigits(parameters)) params · \(dtype.rawValue) · \(size) \(storage) · "
      + String(format: "%.2f s", seconds) + " → \(output)"
  }
}

/// A complete export not yet in place, as ``Converter/convert(_:progress:beforeWriting:beforeCommit:)``
/// gives it to its `beforeCommit`.
public struct StagedExport: Sendable {
  /// Where its files are until the commit.
  public let files: StagedFiles
  /// What the summary's ``ConversionSummary/warnings`` will say of its weights.
  public let warnings: [String]
}

/// Converts checkpoints to bundles, streaming one tensor at a time.
public enum Converter {
  /// The generator recorded in graph.json.
  public static let generator = Generator(name: "mixer-convert", version: "0.1.0")

  /// Converts `request.checkpoint` into an export at `request.output`.
  ///
  /// - Parameters:
  ///   - progress: called with bytes written and total after every chunk.
  ///   - beforeWriting: given the export's ``ConversionPreview`` once the request is resolved,
  ///     before anything is written; what it throws ends the conversion there.
  ///   - beforeCommit: given the complete export while it is still a temporary sibling of the
  ///     output (to verify it there, say); what it throws abandons the export, and an output it
  ///     would have replaced stays as it was.
  public static func convert(
    _ request: ConversionRequest, progress: (Int, Int) -> Void = { _, _ in },
    beforeWriting: ((ConversionPreview) throws -> Void)? = nil,
    beforeCommit: (StagedExport) throws -> Void = { _ in }
  ) throws
    -> ConversionSummary
  {
    let start = Date()
    let resolved = try ResolvedConversion(request)
    let (format, checkpoint, plan) = (resolved.format, resolved.checkpoint, resolved.plan)
    let recognition = checkpoint.recognition
    let input = InputContract.image(height: plan.imageSize, width: plan.imageSize)
    try beforeWriting?(ConversionPreview(input: input, plan: plan, dtype: request.dtype))
    // Hash the source in the background: beside the shard's hash once the shard is written.
    let sourceHash = FileSHA256(request.checkpoint)
    let variant = resolved.variant
    // The label list is read only for a format that names classes: reading it takes 5-13 ms
    // before the first shard bytes, which the shard's hash, as long as the source's, waits for.
    let namesClasses = variant == .classification && format.namesClasses
    let labels = namesClasses ? try recognition.architecture.classes.flatMap(LabelSet.forHead(classes:)) : nil
    let writer = try format.writer(
      ExportWriteRequest(
        path: request.output, generator: generator, dtype: request.dtype,
        tensors: exportTensors(plan, checkpoint, in: format),
        nodes: plan.nodes, input: input, outputs: plan.outputs, options: request.options, replacing: request.replacing,
        labels: labels?.labels))
    // The source tensors that hold NaN or infinite values, and how many.
    var nonFinite: [(tensor: String, count: Int)] = []
    for weight in writingOrder(plan, checkpoint, format) {
      let array = checkpoint.tree[weight.source]!
      try writer.writeTensor(weight.name) { write in
        var nonFiniteCount = 0
        func sink(_ bytes: UnsafeRawBufferPointer) throws {
          nonFiniteCount += NonFiniteValues.count(in: bytes, as: request.dtype)
          try write(bytes)
        }
        let overflowed: Int
        if weight.resize != nil {
          let values = weight.transform(try checkpoint.parameters.tensor(weight.source)).scalars
          var bytes = [UInt8](repeating: 0, count: values.count * request.dtype.itemSize)
          overflowed = bytes.withUnsafeMutableBytes { out in
            values.withUnsafeBufferPointer {
              ElementConversion.encode($0.baseAddress!, count: values.count, as: request.dtype, into: out.baseAddress!)
            }
          }
          if overflowed == 0 { try bytes.withUnsafeBytes { try sink($0) } }
        } else {
          overflowed = try stream(array, from: checkpoint.file, as: request.dtype, into: sink)
        }
        guard overflowed == 0 else {
          // Narrower than float32, a wider dtype is the remedy, unless a float64 tensor's values
          // are beyond float32 too (one more pass over it, on this failure only).
          let beyondFloat32 =
            try request.dtype.itemSize < 4 && array.dtype == .float64
            && stream(array, from: checkpoint.file, as: .float32) { _ in } > 0
          throw ConversionError.overflow(
            request.checkpoint, overflowed, tensor: weight.source, as: request.dtype, beyondFloat32: beyondFloat32)
        }
        if nonFiniteCount > 0 { nonFinite.append((weight.source, nonFiniteCount)) }
        progress(writer.bytesWritten, writer.totalBytes)
      }
    }
    // A model exported at another resolution says so in its name.
    let resized = plan.imageSize != recognition.architecture.imageSize
    let name = recognition.displayName + (resized ? " (\(plan.imageSize) px)" : "")
    let parameters = plan.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let warnings = nonFiniteWarning(nonFinite)
    // The conversion's time leaves out what is done before the commit (a verification).
    var checking: TimeInterval = 0
    let staged = { (files: StagedFiles) in
      let began = Date()
      defer { checking = Date().timeIntervalSince(began) }
      try beforeCommit(StagedExport(files: files, warnings: warnings))
    }
    let written = try writer.finish(beforeCommit: staged) { crc32c in
      var tensors: [String: TensorEntry] = [:]
      for weight in plan.weights {
        let array = checkpoint.tree[weight.source]!
        tensors[weight.name] = TensorEntry(
          shape: weight.shape, crc32c: crc32c[weight.name]!, source: weight.source,
          sourceDtype: array.dtype.rawValue, sourceShape: array.shape,
          transform: weight.resize?.record)
      }
      let model = ModelInfo(
        family: recognition.architecture.family.rawValue, name: name,
        upstreamName: recognition.catalogEntry?.name, variant: variant.rawValue, parameters: parameters,
        config: plan.config,
        source: SourceInfo(
          file: URL(fileURLWithPath: request.checkpoint).lastPathComponent,
          bytes: checkpoint.file.fileSize, sha256: try sourceHash.value(), keyPrefix: checkpoint.tree.prefix))
      return ExportHeader(
        generator: generator, model: model, input: input, outputs: plan.outputs,
        weights: WeightManifest(dtype: request.dtype.rawValue, tensors: tensors),
        formatOptions: resolved.options)
    }
    return ConversionSummary(
      output: request.output, format: format, model: name, upstreamName: recognition.catalogEntry?.name,
      variant: variant, parameters: parameters, tensors: plan.weights.count, storage: written.storage,
      notes: written.notes + narrowingNote(plan, checkpoint, to: request.dtype),
      warnings: warnings, files: written.files,
      dtype: request.dtype, bytesWritten: writer.totalBytes,
      outputBytes: format.diskSize(at: request.output), seconds: Date().timeIntervalSince(start) - checking,
      identity: written.identity)
  }

  /// Names the tensors that hold NaN or infinite values (none: no warning): the export keeps
  /// them as they are, but a user should know before using it.
  private static func nonFiniteWarning(_ tensors: [(tensor: String, count: Int)]) -> [String] {
    guard let first = tensors.first else { return [] }
    let what =
      tensors.count == 1
      ? "tensor '\(first.tensor)' holds \(first.count) NaN or infinite value" + (first.count == 1 ? "" : "s")
      : "\(tensors.count) tensors hold NaN or infinite values ("
        + tensors.prefix(3).map { "'\($0.tensor)' \($0.count)" }.joined(separator: ", ")
        + (tensors.count > 3 ? ", …)" : ")")
    let them = tensors.count == 1 && first.count == 1 ? "it" : "them"
    return [
      what + ", as the checkpoint does: the export keeps \(them), and the model's outputs will likely not be finite"
    ]
  }

  /// Says how many float64 tensors were rounded to the export's narrower dtype (none: no note).
  private static func narrowingNote(_ plan: ExportPlan, _ checkpoint: OpenedCheckpoint, to dtype: DType) -> [String] {
    let wide = plan.weights.filter { checkpoint.tree[$0.source]!.dtype == .float64 }.count
    guard wide > 0, dtype != .float64 else { return [] }
    return [
      (wide == 1 ? "1 of the checkpoint's tensors is" : "\(wide) of the checkpoint's tensors are")
        + " float64; the export stores them as \(dtype.rawValue), "
        + "each value rounded to the nearest (verify compares with the rounded values)"
    ]
  }

  /// Every weight with the node that uses it, its position among that node's weights, and the
  /// checkpoint tensor it holds (a resized position embedding in its new shape).
  /// The plan's weights in the order `format` writes them: the plan's (upstream module order),
  /// or the natural order of their Flax keys for a format that asks for it (an .npz, which so
  /// has the same bytes whether written from the checkpoint or back from an export of it).
  private static func writingOrder(
    _ plan: ExportPlan, _ checkpoint: OpenedCheckpoint, _ format: ExportFormat
  ) -> [PlannedWeight] {
    guard format.ordersByFlaxKey else { return plan.weights }
    return plan.weights.sorted {
      NaturalOrder.less(checkpoint.tree.prefix + $0.source, checkpoint.tree.prefix + $1.source)
    }
  }

  private static func exportTensors(
    _ plan: ExportPlan, _ checkpoint: OpenedCheckpoint, in format: ExportFormat
  ) -> [ExportTensor] {
    var place: [String: (node: String, slot: Int)] = [:]
    for node in plan.nodes {
      for (slot, (_, tensor)) in node.orderedWeights.enumerated() { place[tensor] = (node.name, slot) }
    }
    return writingOrder(plan, checkpoint, format).map { weight in
      let flax = FlaxTensor(
        key: checkpoint.tree.prefix + weight.source,
        shape: weight.resize == nil ? checkpoint.tree[weight.source]!.shape : weight.shape)
      return ExportTensor(
        name: weight.name, shape: weight.shape, node: place[weight.name]!.node, slot: place[weight.name]!.slot,
        flax: flax)
    }
  }

  /// Streams a checkpoint tensor in C order, converted to `dtype`, in chunks, up to the first
  /// chunk with values beyond `dtype`'s range (it and the rest are counted, not passed on).
  ///
  /// - Returns: how many values would have become infinite (0: all streamed).
  static func stream(
    _ array: NpyArrayInfo, from file: NpzFile, as dtype: DType,
    into sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int {
    let verbatim = array.dtype == dtype && array.header.byteOrder != .big
    var converted = [UInt8]()
    var overflowed = 0
    try file.forEachChunk(of: array) { chunk in
      if verbatim { return try sink(chunk) }
      let count = chunk.count / array.dtype.itemSize
      if converted.count < count * dtype.itemSize { converted = [UInt8](repeating: 0, count: count * dtype.itemSize) }
      try converted.withUnsafeMutableBytes { out in
        overflowed += ElementConversion.convert(
          chunk.baseAddress!, from: array.dtype, order: array.header.byteOrder,
          to: out.baseAddress!, as: dtype, count: count)
        if overflowed == 0 { try sink(UnsafeRawBufferPointer(rebasing: out[0..<(count * dtype.itemSize)])) }
      }
    }
    return overflowed
  }
}
