import FileIO
import Graph
import Kernels

/// The result of `verify`: outputs and weights of an export against the original checkpoint.
public struct ParityReport: Encodable, Sendable {
  public let checkpoint: String
  public private(set) var export: String
  /// Display name of the model.
  public let model: String
  /// Whether the export records the checkpoint's SHA-256 (converted from this very file).
  public let sourceMatches: Bool
  /// The inputs: `seed N` or the input file.
  public let input: String
  public let batch: Int
  /// The input's span when some values of an input file lie outside the export's input
  /// contract (an image not normalised), nil when all are inside.
  public let inputOutsideRange: InputOutsideRange?
  public let kernels: KernelPath
  public let tolerance: Tolerance
  public let outputs: [OutputComparison]
  public let weights: WeightCheck
  /// Checkpoint tensors holding NaN or infinity, named when an output drifts without bound:
  /// the original computes non-finite outputs from its own weights (empty otherwise).
  public let nonFiniteWeights: [String]
  /// The export verified, as its path named it when verification began, or for an export
  /// verified before its commit as the commit put it in place (nil when it could not be told):
  /// a batch removes an export that drifts, and counts one verified, only while the path still
  /// names it.
  public private(set) var exportIdentity: FileIdentity?
  public let seconds: Double

  public init(
    checkpoint: String, export: String, model: String, sourceMatches: Bool, input: String, batch: Int,
    inputOutsideRange: InputOutsideRange? = nil, kernels: KernelPath, tolerance: Tolerance, outputs: [OutputComparison],
    weights: WeightCheck,
    nonFiniteWeights: [String] = [], exportIdentity: FileIdentity? = nil, seconds: Double
  ) {
    self.checkpoint = checkpoint
    self.export = export
    self.model = model
    self.sourceMatches = sourceMatches
    self.input = input
    self.batch = batch
    self.inputOutsideRange = inputOutsideRange
    self.kernels = kernels
    self.tolerance = tolerance
    self.outputs = outputs
    self.weights = weights
    self.nonFiniteWeights = nonFiniteWeights
    self.exportIdentity = exportIdentity
    self.seconds = seconds
  }

  /// This report of an export verified where it was staged, naming it as `export` (the output
  /// it is committed as), identified by `identity` (the one its commit left it with, nil until
  /// then).
  public func naming(_ export: String, identity: FileIdentity?) -> ParityReport {
    var report = self
    report.export = export
    report.exportIdentity = identity
    return report
  }

  /// Whether every output is within tolerance and every weight as expected.
  public var passed: Bool { outputs.allSatisfy(\.passed) && weights.passed }

  private enum CodingKeys: String, CodingKey {
    case format, version, checkpoint, export, model, sourceMatches, input, batch, inputOutsideRange, kernels
    case tolerance, outputs, weights
    case nonFiniteWeights, exportIdentity, seconds, passed
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode("mixer-convert.verify", forKey: .format)
    try container.encode(1, forKey: .version)
    try container.encode(checkpoint, forKey: .checkpoint)
    try container.encode(export, forKey: .export)
    try container.encode(model, forKey: .model)
    try container.encode(sourceMatches, forKey: .sourceMatches)
    try container.encode(input, forKey: .input)
    try container.encode(batch, forKey: .batch)
    try container.encodeIfPresent(inputOutsideRange, forKey: .inputOutsideRange)
    try container.encode(kernels, forKey: .kernels)
    try container.encode(tolerance, forKey: .tolerance)
    try container.encode(outputs, forKey: .outputs)
    try container.encode(weights, forKey: .weights)
    try container.encode(nonFiniteWeights, forKey: .nonFiniteWeights)
    try container.encodeIfPresent(exportIdentity, forKey: .exportIdentity)
    try container.encode(seconds, forKey: .seconds)
    try container.encode(passed, forKey: .passed)
  }
}
