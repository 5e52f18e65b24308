import Graph
import Kernels
import Runtime
import Testing

/// The compiler moves a SelectToken ahead of the nodes that treat tokens alone (the tail of a
/// token-classifier ViT), and the outputs stay what the whole-token graph computes.
@Suite struct TokenSelectionTests {
  typealias Part = (Node, [String: [Int]])

  /// A ViT's last block (attention and MLP, each with its residual Add), final LayerNorm, token
  /// selection and head, over 16 tokens of 3 channels.
  static let tail: [Part] = [
    FusionTests.tokens,
    FusionTests.node("norm1", .layerNorm(epsilon: 1e-6), ["tokens"], [-1, 16, 3], ["scale": [3], "bias": [3]]),
    FusionTests.node("mha", .multiHeadAttention(heads: 1), ["norm1"], [-1, 16, 3], FusionTests.attentionWeights),
    FusionTests.node("mid", .add, ["tokens", "mha"], [-1, 16, 3]),
    FusionTests.node("norm", .layerNorm(epsilon: 1e-6), ["mid"], [-1, 16, 3], ["scale": [3], "bias": [3]]),
    FusionTests.node("fc1", .dense, ["norm"], [-1, 16, 8], ["kernel": [3, 8], "bias": [8]]),
    FusionTests.node("act", .gelu(approximation: .tanh), ["fc1"], [-1, 16, 8]),
    FusionTests.node("fc2", .dense, ["act"], [-1, 16, 3], ["kernel": [8, 3], "bias": [3]]),
    FusionTests.node("sum", .add, ["mid", "fc2"], [-1, 16, 3]),
    FusionTests.node("final", .layerNorm(epsilon: 1e-6), ["sum"], [-1, 16, 3], ["scale": [3], "bias": [3]]),
    FusionTests.node("pool", .selectToken(index: 2), ["final"], [-1, 3]),
    FusionTests.node("head", .dense, ["pool"], [-1, 5], ["kernel": [3, 5], "bias": [5]]),
  ]

  /// The tail's plan with these outputs; the weights are the same in every call.
  func plan(outputs: [String]) throws -> ExecutionPlan {
    let (nodes, shapes, _) = FusionTests.graph(Self.tail, fusedAway: "")
    var weights: [String: Tensor] = [:]
    for (seed, name) in shapes.keys.sorted().enumerated() {
      weights[name] = Tensor(shape: shapes[name]!, scalars: FusionTests.values(shapes[name]!.reduce(1, *), seed: UInt64(seed)))
    }
    let document = FusionTests.document(nodes, shapes, outputs: outputs)
    try document.validate()
    return ExecutionPlan(graph: document, weights: weights, compute: Compute(threads: 1))
  }

  /// Where the first selection and the MLP's first product are in the plan's steps, and the
  /// query token of its attention step.
  func layout(_ plan: ExecutionPlan) -> (selection: Int, mlp: Int, queryToken: Int?) {
    let selection = plan.steps.firstIndex { if case .selectToken = $0 { true } else { false } }!
    let mlp = plan.steps.firstIndex { if case .dense(_, _, _, _, _, true, _) = $0 { true } else { false } }!
    let queryToken = plan.steps.lazy.compactMap { step -> Int?? in
      if case .attention(_, _, _, _, _, _, _, _, let token) = step { token } else { nil }
    }.first!
    return (selection, mlp, queryToken)
  }

  @Test func theSelectionRunsBeforeTheLastBlockAndTheLogitsAreUnchanged() throws {
    let moved = try plan(outputs: ["head"])
    // With the final LayerNorm also an output, its value is needed whole: nothing moves.
    let whole = try plan(outputs: ["head", "final"])
    #expect(layout(moved).selection < layout(moved).mlp, "the MLP should run on the selected token only")
    #expect(layout(moved).queryToken == 2, "the attention should compute the selected query only")
    #expect(layout(whole).selection > layout(whole).mlp, "a graph output must keep every token")
    #expect(layout(whole).queryToken == nil)
    let input = Tensor(shape: [2, 4, 4, 3], scalars: FusionTests.values(96, seed: 7))
    let compute = Compute(threads: 1)
    let a = try PlanExecutor(plan: moved, compute: compute).run(input)["head"]!
    let b = try PlanExecutor(plan: whole, compute: compute).run(input)["head"]!
    #expect(a.shape == [2, 5] && b.shape == [2, 5])
    // Each row is computed with the same arithmetic in both plans, residual Adds folded alike.
    #expect(a.scalars == b.scalars)
  }
}
