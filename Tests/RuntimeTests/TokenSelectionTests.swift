import Graph
import Kernels
import Runtime
import Testing

/// The compiler moves a SelectToken ahead of the nodes that treat tokens alone (the tail of a
/// token-classifier ViT), and the outputs stay what the whole-token graph computes.
@Suite struct TokenSelectionTests {
  typealias Part = (Node, [String: [Int]])

  /// A ViT's last block (attention of two heads and MLP, each with its residual Add), final
  /// LayerNorm, token selection and head, over 16 tokens embedded in 64 channels: the whole
  /// plan's products run on full micro-tiles, the moved plan's on one-row edge tiles.
  static let tail: [Part] = {
    let (width, heads, hidden) = (64, 2, 128)
    let attention = [
      "query_kernel": [width, heads, width / heads], "query_bias": [heads, width / heads],
      "key_kernel": [width, heads, width / heads], "key_bias": [heads, width / heads],
      "value_kernel": [width, heads, width / heads], "value_bias": [heads, width / heads],
      "out_kernel": [heads, width / heads, width], "out_bias": [width],
    ]
    let norm = ["scale": [width], "bias": [width]]
    return [
      FusionTests.tokens,
      FusionTests.node("embed", .dense, ["tokens"], [-1, 16, width], ["kernel": [3, width], "bias": [width]]),
      FusionTests.node("norm1", .layerNorm(epsilon: 1e-6), ["embed"], [-1, 16, width], norm),
      FusionTests.node("mha", .multiHeadAttention(heads: heads), ["norm1"], [-1, 16, width], attention),
      FusionTests.node("mid", .add, ["embed", "mha"], [-1, 16, width]),
      FusionTests.node("norm", .layerNorm(epsilon: 1e-6), ["mid"], [-1, 16, width], norm),
      FusionTests.node("fc1", .dense, ["norm"], [-1, 16, hidden], ["kernel": [width, hidden], "bias": [hidden]]),
      FusionTests.node("act", .gelu(approximation: .tanh), ["fc1"], [-1, 16, hidden]),
      FusionTests.node("fc2", .dense, ["act"], [-1, 16, width], ["kernel": [hidden, width], "bias": [width]]),
      FusionTests.node("sum", .add, ["mid", "fc2"], [-1, 16, width]),
      FusionTests.node("final", .layerNorm(epsilon: 1e-6), ["sum"], [-1, 16, width], norm),
      FusionTests.node("pool", .selectToken(index: 13), ["final"], [-1, width]),
      FusionTests.node("head", .dense, ["pool"], [-1, 5], ["kernel": [width, 5], "bias": [5]]),
    ]
  }()

  /// The tail's plan with these outputs; the weights are the same in every call.
  func plan(outputs: [String], threads: Int) throws -> ExecutionPlan {
    let (nodes, shapes, _) = FusionTests.graph(Self.tail, fusedAway: "")
    var weights: [String: Tensor] = [:]
    for (seed, name) in shapes.keys.sorted().enumerated() {
      weights[name] = Tensor(
        shape: shapes[name]!, scalars: FusionTests.values(shapes[name]!.reduce(1, *), seed: UInt64(seed)))
    }
    let document = FusionTests.document(nodes, shapes, outputs: outputs)
    try document.validate()
    return ExecutionPlan(graph: document, weights: weights, compute: Compute(threads: threads))
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

  @Test(arguments: [1, 2])
  func theSelectionRunsBeforeTheLastBlockAndTheLogitsAreUnchanged(threads: Int) throws {
    let moved = try plan(outputs: ["head"], threads: threads)
    // With the final LayerNorm also an output, its value is needed whole: nothing moves.
    let whole = try plan(outputs: ["head", "final"], threads: threads)
    #expect(layout(moved).selection < layout(moved).mlp, "the MLP should run on the selected token only")
    #expect(layout(moved).queryToken == 13, "the attention should compute the selected query only")
    #expect(layout(whole).selection > layout(whole).mlp, "a graph output must keep every token")
    #expect(layout(whole).queryToken == nil)
    let input = Tensor(shape: [2, 4, 4, 3], scalars: FusionTests.values(96, seed: 7))
    let compute = Compute(threads: threads)
    let a = try PlanExecutor(plan: moved, compute: compute).run(input)["head"]!
    let b = try PlanExecutor(plan: whole, compute: compute).run(input)["head"]!
    #expect(a.shape == [2, 5] && b.shape == [2, 5])
    // Each row is computed with the same arithmetic in both plans, residual Adds folded alike.
    #expect(a.scalars == b.scalars)
  }
}
