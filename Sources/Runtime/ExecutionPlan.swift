import Graph
import Kernels

/// A model compiled for running: steps in order over named values, from one input to named
/// outputs. Built from a canonical graph (``ExecutionPlan/init(graph:weights:compute:)``) or
/// from another format's nodes; run by ``PlanExecutor``.
public struct ExecutionPlan: Sendable {
  /// The steps, in an order where every value is computed before it is read.
  public let steps: [Step]
  /// The name of the input value.
  public let input: String
  /// The input's shape with `-1` for the batch: `[-1, height, width, 3]`.
  public let inputShape: [Int]
  /// The outputs in order: their name and the value that holds them.
  public let outputs: [(name: String, value: String)]
  /// Values known before the run (constants the steps read by name).
  public let constants: [String: Tensor]
  /// What a run takes in memory, when known: a batch that would not fit is refused.
  public let memory: MemoryEstimate?
  /// Index of the last step that reads each value (outputs: past the end).
  let lastUse: [String: Int]

  public init(
    steps: [Step], input: String, inputShape: [Int], outputs: [(name: String, value: String)],
    constants: [String: Tensor] = [:], memory: MemoryEstimate? = nil
  ) {
    self.steps = steps
    self.input = input
    self.inputShape = inputShape
    self.outputs = outputs
    self.constants = constants
    self.memory = memory
    var lastUse: [String: Int] = [:]
    for (index, step) in steps.enumerated() { for name in step.inputs { lastUse[name] = index } }
    for output in outputs { lastUse[output.value] = steps.count }
    self.lastUse = lastUse
  }
}
