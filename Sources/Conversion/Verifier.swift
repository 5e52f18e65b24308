import Bundle
import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Models
import Parity

/// What `verify` should compare.
public struct VerificationRequest: Sendable {
  public var checkpoint: String
  public var export: String
  /// Seed of the generated inputs (ignored with ``input``).
  public var seed: UInt64 = 0
  /// Batch size of the generated inputs.
  public var batch = 2
  /// An NHWC float32 `.npy` to use instead of generated inputs.
  public var input: String?
  /// nil: the default for the export's dtype (``Verifier/defaultTolerance(for:)``).
  public var tolerance: Tolerance?
  /// Check shard SHA-256 and tensor CRC-32C while loading.
  public var checksums = true
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
/// runs through the graph executor (canonical names, the bundle's weights). Both see the same
/// inputs; every output is compared, and every exported weight is checked against its source.
public enum Verifier {
  /// Default tolerances (formats/bundle-v1.md, "Verification", gives the measurements).
  ///
  /// Both paths compute in float32 on the same kernels and differ only in summation order and
  /// fusion, which moved the outputs of synthetic Mixer-S/32, B/16 and L/16 by at most 4.7e-7
  /// relative to their largest magnitude; float32 allows about 20 times that, tight enough
  /// that a mis-mapped weight or the other GELU (about 1e-4 relative) fails. A float16 or
  /// bfloat16 export carries the rounding of its weights (2^-11 and 2^-8 relative), which
  /// moved the same outputs by at most 5.7e-4 and 4.1e-3; the defaults allow about ten times that.
  public static func defaultTolerance(for dtype: DType) -> Tolerance {
    switch dtype {
    case .float16: Tolerance(atol: 1e-4, rtol: 5e-3)
    case .bfloat16: Tolerance(atol: 1e-3, rtol: 4e-2)
    default: Tolerance(atol: 1e-5, rtol: 1e-5)
    }
  }

  public static func verify(_ request: VerificationRequest) throws -> ParityReport {
    let start = Date()
    let checkpoint = try OpenedCheckpoint(path: request.checkpoint, allowUnused: request.allowUnused)
    let sourceHash = BackgroundResult { try SHA256Stream.file(request.checkpoint) }
    let bundle = try LoadedBundle(path: request.export, checksums: request.checksums)
    let graph = bundle.graph
    let dtype = DType(rawValue: graph.weights.dtype)!
    let parameters = checkpoint.parameters

    var weights = WeightCheck(dtype: dtype)
    for (name, entry) in graph.weights.tensors.sorted(by: { $0.key < $1.key }) {
      guard checkpoint.tree.contains(entry.source) else {
        throw ConversionError(path: request.export, reason: "weight '\(name)' comes from '\(entry.source)', which \(request.checkpoint) does not have")
      }
      weights.add(name: name, source: try parameters.tensor(entry.source).scalars, stored: bundle.storedBytes(of: name)!,
                  dtype: dtype)
    }

    let image = try inputs(request, contract: graph.input)
    let compute = Compute(threads: request.threads)
    let reference = try checkpoint.recognition.architecture.referenceForward(image, parameters: parameters.source,
                                                                            compute: compute)
    let executor = try GraphExecutor(graph: graph, weights: bundle.weights(), compute: compute)
    let produced = try executor.run(image)
    let tolerance = request.tolerance ?? defaultTolerance(for: dtype)
    var outputs: [OutputComparison] = []
    for output in graph.outputs {
      let expected: Tensor?
      switch output.name {
      case "logits": expected = reference.logits
      case "pre_logits", "features": expected = reference.preLogits
      default: expected = nil
      }
      guard let expected, let candidate = produced[output.name], expected.shape == candidate.shape else {
        throw ConversionError(path: request.export, reason: "output '\(output.name)' has no counterpart in \(checkpoint.recognition.displayName)")
      }
      outputs.append(.compare(name: output.name, reference: expected, candidate: candidate, tolerance: tolerance,
                              classes: output.name == "logits"))
    }
    let sourceMatches = try sourceHash.value() == graph.model.source.sha256
    return ParityReport(
      checkpoint: request.checkpoint, export: request.export, model: checkpoint.recognition.displayName,
      sourceMatches: sourceMatches, input: request.input ?? "uniform [-1, 1), seed \(request.seed)",
      batch: image.shape[0], kernels: compute.path, tolerance: tolerance, outputs: outputs, weights: weights,
      seconds: Date().timeIntervalSince(start))
  }

  private static func inputs(_ request: VerificationRequest, contract: InputContract) throws -> Tensor {
    let (height, width) = (contract.shape[1], contract.shape[2])
    if let path = request.input {
      let (shape, values) = try NpyFile.readFloats(path: path)
      guard shape.count == 4, shape[1] == height, shape[2] == width, shape[3] == 3, shape[0] > 0 else {
        throw ConversionError(path: path, reason: "input has shape \(shape); the export takes [batch, \(height), \(width), 3]")
      }
      return Tensor(shape: shape, scalars: values)
    }
    guard request.batch > 0 else { throw ConversionError(path: request.export, reason: "--batch must be at least 1") }
    let shape = [request.batch, height, width, 3]
    return Tensor(shape: shape, scalars: SyntheticValues(seed: request.seed).uniformInput(count: shape.reduce(1, *)))
  }
}
