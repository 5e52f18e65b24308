import Foundation
import Graph
import Kernels

/// Runs an ``ExecutionPlan`` on the kernels, releasing intermediate values after their last use.
///
/// The executor knows only the plan: weights by value, steps by name; nothing of the
/// checkpoint or the file the plan came from.
public final class PlanExecutor: Sendable {
  /// Kernel path and threads.
  public let compute: Compute
  /// The plan being run.
  public let plan: ExecutionPlan

  /// Prepares a compiled plan.
  public init(plan: ExecutionPlan, compute: Compute) {
    self.plan = plan
    self.compute = compute
  }

  /// Compiles a canonical graph with its weights (float32, canonical names and shapes).
  ///
  /// - Throws: ``GraphError`` if the graph is invalid or a weight is missing or misshapen.
  public convenience init(graph: GraphDocument, weights: [String: Tensor], compute: Compute = Compute()) throws {
    try graph.validate()
    for (name, entry) in graph.header.weights.tensors {
      guard let tensor = weights[name] else { throw GraphError("weight '\(name)' was not loaded") }
      guard tensor.shape == entry.shape else {
        throw GraphError("weight '\(name)' has shape \(tensor.shape), the manifest says \(entry.shape)")
      }
    }
    self.init(plan: ExecutionPlan(graph: graph, weights: weights, compute: compute), compute: compute)
  }

  /// Runs the plan on an NHWC batch and returns every output by name.
  ///
  /// - Parameter beforeEachStep: called before every step; what it throws (a signal's
  ///   ``Interrupted``, say) ends the run there.
  /// - Throws: ``GraphError`` if the input does not have the contract's shape, or the batch
  ///   would not fit in memory (``checkMemory(batch:)``).
  public func run(_ input: Tensor, beforeEachStep: () throws -> Void = {}) throws -> [String: Tensor] {
    let expected = plan.inputShape
    guard input.rank == 4, input.shape[0] > 0, Array(input.shape.dropFirst()) == Array(expected.dropFirst()) else {
      throw GraphError(
        "input has shape \(input.shape); the graph takes [batch, \(expected[1]), \(expected[2]), \(expected[3])]")
    }
    try checkMemory(batch: input.shape[0])
    var values = plan.constants
    values[plan.input] = input
    for (index, step) in plan.steps.enumerated() {
      try beforeEachStep()
      let result = step.evaluate(&values, compute: compute)
      for name in step.inputs where plan.lastUse[name] == index { values[name] = nil }
      values[step.output] = result
    }
    var outputs: [String: Tensor] = [:]
    for output in plan.outputs { outputs[output.name] = values[output.value] }
    return outputs
  }

  /// Refuses a batch whose run would take more than the ``MemoryBudget`` (when the plan knows
  /// what a run takes), before anything is allocated for it.
  ///
  /// - Throws: ``GraphError`` saying how much the batch needs.
  public func checkMemory(batch: Int) throws {
    guard let memory = plan.memory else { return }
    if let refusal = MemoryBudget.refusal(batch: batch, estimate: memory, compute: compute) {
      throw GraphError(refusal)
    }
  }
}
