import Graph
import Kernels

/// An export that can be compiled for running, whatever its format: a bundle or HDF5 file
/// compiles its canonical graph, an ONNX file its own nodes.
public protocol RunnableExport: AnyObject {
  /// The file or folder it was read from.
  var path: String { get }
  /// What it records about its model.
  var header: ExportHeader { get }
  /// Its computation, with its weights, compiled for `compute`.
  ///
  /// - Throws: ``GraphError`` when the export describes something the runtime cannot run.
  func compile(compute: Compute) throws -> ExecutionPlan
}

/// An opened export ready to run: its weights are packed once, then any number of batches run.
public final class ExportRunner {
  /// The export being run.
  public let export: any RunnableExport
  private let executor: PlanExecutor

  /// Compiles `export` for `compute`.
  ///
  /// - Throws: ``GraphError`` naming the export when its weights would not fit in
  ///   ``MemoryBudget`` once packed (before any is packed) or it cannot be compiled.
  public init(_ export: any RunnableExport, compute: Compute) throws {
    self.export = export
    executor = try Self.naming(export) {
      if let refusal = MemoryBudget.refusal(weights: export.header.weights, withReference: false) {
        throw GraphError(refusal)
      }
      return PlanExecutor(plan: try export.compile(compute: compute), compute: compute)
    }
  }

  /// Refuses, before anything is allocated, a batch whose run would not fit in memory (a
  /// ``GraphError`` naming the export).
  public func checkMemory(batch: Int) throws {
    try Self.naming(export) { try executor.checkMemory(batch: batch) }
  }

  /// Every output of the model on `input`; an input it cannot take is a ``GraphError`` that
  /// names the export. `beforeEachStep` is called before every step of the plan; what it
  /// throws ends the run there.
  public func run(_ input: Tensor, beforeEachStep: () throws -> Void = {}) throws -> [String: Tensor] {
    try Self.naming(export) { try executor.run(input, beforeEachStep: beforeEachStep) }
  }

  /// Runs `body`, putting the export's path in front of any ``GraphError`` it throws.
  private static func naming<T>(_ export: any RunnableExport, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as GraphError {
      throw GraphError("\(export.path): \(error.message)")
    }
  }
}
