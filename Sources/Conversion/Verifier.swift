import Checkpoint
import FileIO
import Formats
import Foundation
import Graph
import Kernels
import Models
import Parity
import Runtime

/// What `verify` should compare.
public struct VerificationRequest: Sendable {
  public var checkpoint: String
  public var export: String
  /// Seed of the generated inputs (ignored with ``input``).
  public var seed: UInt64 = 0
  /// Batch size of the generated inputs.
  public var batch = 2
  /// An NHWC `.npy` (float or integer, converted to float32) to use instead of generated inputs.
  public var input: String?
  /// nil: ``Verifier/defaultTolerance``.
  public var tolerance: Tolerance?
  /// How the export is opened: checksums (tensor CRC-32C, file SHA-256) and where an HDF5
  /// file is read.
  public var opening = OpenOptions()
  /// Threads per operation (nil: all cores).
  public var threads: Int?
  /// Accept checkpoints with tensors the architecture does not use.
  public var allowUnused = true

  public init(checkpoint: String, export: String) {
    self.checkpoint = checkpoint
    self.export = export
  }
}

/// Proves an export computes what the original computes.
///
/// The checkpoint runs through the reference forward (Flax names, Flax semantics); the export
/// runs through its own computation (the canonical graph, or an ONNX file's nodes) with its
/// own weights. Both see the same inputs; every output is compared, and every exported weight
/// is checked against its source.
/// For a float16 or bfloat16 export the reference uses the source values rounded as the export
/// stores them (each checked to be the nearest), and runs once more with the full-precision
/// values to report how much the narrower dtype moves the outputs.
public enum Verifier {
  /// The default tolerance (formats/bundle-v1.md, "Verification", gives the measurements).
  ///
  /// The reference computes with exactly the values the export stores (a float16 or bfloat16
  /// export's weights widened back to float32), so both paths compute in float32 from the same
  /// numbers and differ only in summation order and fusion. That moved the outputs of every
  /// released configuration, in every dtype, by at most 1.3e-6 relative to their largest
  /// magnitude; the default allows about eight times that, tight enough that a mis-mapped
  /// weight or the other GELU (about 1e-4 relative) fails.
  public static let defaultTolerance = Tolerance(atol: 1e-5, rtol: 1e-5)

  public static func verify(_ request: VerificationRequest) throws -> ParityReport {
    let start = Date()
    let checkpoint = try OpenedCheckpoint(path: request.checkpoint, allowUnused: request.allowUnused)
    let sourceHash = FileSHA256(request.checkpoint)
    // Before the export is opened: replaced after this, it is another export than the one read.
    let exportIdentity = Exports.identity(of: request.export)
    let export = try Exports.open(request.export, request.opening)
    let header = export.header
    let dtype = export.dtype
    let stored = checkpoint.parameters
    guard header.model.family == checkpoint.recognition.architecture.family.rawValue else {
      throw ConversionError(
        path: request.export,
        reason:
          "holds a \(header.model.name), but \(request.checkpoint) holds a \(checkpoint.recognition.displayName): "
          + "verify compares an export with the checkpoint it was converted from")
    }
    // The plan the export was made with: same variant and resolution, hence the same weight
    // transforms (a resized position embedding), which the reference uses too.
    let plan: ExportPlan
    var architecture = checkpoint.recognition.architecture
    do {
      if case .string(let name) = header.model.config["classifier"], let classifier = ViTClassifier(rawValue: name) {
        architecture = try architecture.withClassifier(classifier)
      }
      plan = try architecture.exportPlan(
        variant: header.model.variant == "features" ? .features : .classification, imageSize: header.input.shape[1])
    } catch let error as ExportError {
      throw ConversionError(path: request.export, reason: "does not fit \(request.checkpoint): \(error.reason)")
    }
    var transformed: [String: Tensor] = [:]
    for weight in plan.weights where weight.resize != nil {
      transformed[weight.source] = weight.transform(try stored.tensor(weight.source))
    }
    // A signal that arrived since (one caught while a conversion verifies its export before
    // the commit) stops the verification at its next weight or step.
    let parameters: ParameterSource = { path in
      try Interruption.check()
      return try transformed[path] ?? stored.tensor(path)
    }
    let rounded: ParameterSource =
      dtype == .float32
      ? parameters
      : { path in
        let tensor = try parameters(path)
        return Tensor(shape: tensor.shape, scalars: ElementConversion.rounded(tensor.scalars, to: dtype))
      }

    let exported = header.weights.tensors.sorted(by: { $0.key < $1.key })
    try refuseUnmatchedWeights(exported, checkpoint, plan, request)

    if let refusal = MemoryBudget.refusal(weights: header.weights, withReference: true) {
      throw ConversionError(path: request.export, reason: refusal)
    }
    let compute = Compute(threads: request.threads)
    // The export compiles (its weights decoded and packed) on another thread while its weights
    // are compared with their sources on this one (the checkpoint's hash may still be running
    // on a third); both only read the export. A failure here still waits for the compile, so
    // no work outlives the call.
    nonisolated(unsafe) let runnable = export
    let compiled = BackgroundResult { try ExportRunner(runnable, compute: compute) }
    defer { _ = try? compiled.value() }
    var weights = WeightCheck(dtype: dtype)
    for (name, entry) in exported {
      weights.add(
        name: name, source: try parameters(entry.source).scalars, transformed: entry.transform != nil,
        stored: export.storedBytes(of: name)!, dtype: dtype)
    }

    let runner = try compiled.value()
    let (image, outside) = try inputs(request, contract: header.input, runner: runner)
    let reference = try architecture.referenceForward(image, parameters: rounded, compute: compute)
    let produced = try runner.run(image) { try Interruption.check() }
    let fullPrecision =
      dtype == .float32
      ? nil : try architecture.referenceForward(image, parameters: parameters, compute: compute)
    let tolerance = request.tolerance ?? defaultTolerance
    var outputs: [OutputComparison] = []
    for output in header.outputs {
      guard let expected = reference.output(named: output.name), let candidate = produced[output.name],
        expected.shape == candidate.shape
      else {
        throw ConversionError(
          path: request.export,
          reason: "output '\(output.name)' has no counterpart in \(checkpoint.recognition.displayName)")
      }
      outputs.append(
        .compare(
          name: output.name, reference: expected, candidate: candidate, tolerance: tolerance,
          classes: output.name == "logits",
          fullPrecisionReference: fullPrecision?.output(named: output.name)))
    }
    // An output that is not finite is most often the original's own doing: NaN or infinity in
    // its weights.
    // Only then are the sources scanned, so a verify that passes pays nothing for it.
    let nonFiniteWeights =
      outputs.allSatisfy { $0.nonFiniteValues == 0 }
      ? []
      : try Set(exported.map(\.value.source)).sorted().filter {
        try stored.tensor($0).scalars.contains { !$0.isFinite }
      }
    let sourceMatches = try sourceHash.value() == header.model.source.sha256
    return ParityReport(
      checkpoint: request.checkpoint, export: request.export, model: header.model.name,
      sourceMatches: sourceMatches, input: request.input ?? "uniform [-1, 1), seed \(request.seed)",
      batch: image.shape[0], inputOutsideRange: outside, kernels: compute.path, tolerance: tolerance, outputs: outputs,
      weights: weights,
      nonFiniteWeights: nonFiniteWeights, exportIdentity: exportIdentity, seconds: Date().timeIntervalSince(start))
  }

  /// Refuses an export whose weights are not the checkpoint's model's: one from a tensor the
  /// checkpoint lacks or holds in another shape (another resolution's position embedding), or
  /// none from a tensor its model uses (a representation layer).
  private static func refuseUnmatchedWeights(
    _ exported: [(key: String, value: TensorEntry)], _ checkpoint: OpenedCheckpoint, _ plan: ExportPlan,
    _ request: VerificationRequest
  ) throws {
    if let (name, entry) = exported.first(where: { !checkpoint.tree.contains($0.value.source) }) {
      throw ConversionError(
        path: request.export,
        reason: "weight '\(name)' comes from '\(entry.source)', which \(request.checkpoint) does not have")
    }
    for (name, entry) in exported {
      guard let shape = checkpoint.tree[entry.source]?.shape, shape != entry.sourceShape else { continue }
      throw ConversionError(
        path: request.export,
        reason: "weight '\(name)' was converted from a \(entry.sourceShape) '\(entry.source)', but that of "
          + "\(request.checkpoint) is \(shape): verify compares an export with the checkpoint it was converted from")
    }
    let sources = Set(exported.map(\.value.source))
    if let missing = plan.weights.first(where: { !sources.contains($0.source) }) {
      throw ConversionError(
        path: request.export,
        reason: "holds no weight from '\(missing.source)', which the \(checkpoint.recognition.displayName) of "
          + "\(request.checkpoint) uses: verify compares an export with the checkpoint it was converted from")
    }
  }

  /// The inputs: the request's file (``InputFile/read(_:contract:fits:)``), or a batch generated
  /// from the seed; either once `runner` has checked that the batch fits in memory.
  private static func inputs(
    _ request: VerificationRequest, contract: InputContract, runner: ExportRunner
  ) throws
    -> (Tensor, InputOutsideRange?)
  {
    let (height, width) = (contract.shape[1], contract.shape[2])
    if let path = request.input {
      // Before the original's pass runs, which takes about what the export's does.
      return try InputFile.read(path, contract: contract) { try runner.checkMemory(batch: $0) }
    }
    guard request.batch > 0 else {
      throw ConversionError(path: request.export, reason: "the batch must hold at least 1 image")
    }
    try runner.checkMemory(batch: request.batch)
    let shape = [request.batch, height, width, 3]
    return (
      Tensor(shape: shape, scalars: SyntheticValues(seed: request.seed).uniformInput(count: shape.reduce(1, *))), nil
    )
  }
}
