import Checkpoint
import Graph
import Kernels
import Models
import Runtime

/// What an export will take as input and what running it takes in memory, known before
/// anything is written (``Converter/convert(_:progress:beforeWriting:beforeCommit:)``): a conversion that
/// verifies its export checks the verification's input against it first, so that a batch
/// that cannot run leaves no export behind.
public struct ConversionPreview: Sendable {
  /// The input the export will take.
  public let input: InputContract
  /// What a run of the export takes, by the canonical graph.
  public let memory: MemoryEstimate
  /// Values in the export's weights.
  public let weightElements: Int
  /// The element type its weights will be stored in.
  public let dtype: DType

  init(input: InputContract, plan: ExportPlan, dtype: DType) {
    self.input = input
    self.dtype = dtype
    weightElements = plan.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let shapes = Dictionary(plan.weights.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
    memory = MemoryEstimate(input: input, nodes: plan.nodes, outputs: plan.outputs, weightShape: { shapes[$0] })
  }
}

extension Verifier {
  /// Refuses, before the export is written, a verification whose input cannot run on it: an
  /// input file of another image size, or whose values are not finite, or a batch (the file's
  /// or the generated one) that would not fit in memory by the canonical graph's estimate, or
  /// weights that would not (``MemoryBudget/refusal(weightElements:storedItemSize:withReference:)``).
  /// The checks are those ``verify(_:)`` makes on the written export (whose own estimate, an
  /// ONNX graph's, can be larger).
  ///
  /// - Throws: ``ConversionError`` naming the input file, or the checkpoint for memory.
  public static func checkBeforeConverting(_ request: VerificationRequest, preview: ConversionPreview) throws {
    if let refusal = MemoryBudget.refusal(
      weightElements: preview.weightElements, storedItemSize: preview.dtype.itemSize, withReference: true)
    {
      throw ConversionError(path: request.checkpoint, reason: "verifying its export: " + refusal)
    }
    let compute = Compute(threads: request.threads)
    func fits(_ batch: Int) throws {
      if let refusal = MemoryBudget.refusal(batch: batch, estimate: preview.memory, compute: compute) {
        throw ConversionError(path: request.checkpoint, reason: "verifying its export: " + refusal)
      }
    }
    if let path = request.input {
      _ = try InputFile.read(path, contract: preview.input, fits: fits)
    } else {
      try fits(request.batch)
    }
  }
}
