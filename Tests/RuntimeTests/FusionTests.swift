import Graph
import Kernels
import LayerAttributes
import Runtime
import Testing

/// Each fusion of the graph compiler computes what the unfused nodes compute. The unfused
/// reference is the same graph with the fused-away value also made an output: a value that is
/// an output is never fused away, so the compiler then runs every node by itself.
@Suite struct FusionTests {
  struct Case: Sendable, CustomStringConvertible {
    let description: String
    /// The graph (the primary output last), and the node whose value fusion would skip.
    let graph: @Sendable () -> (nodes: [Node], weights: [String: [Int]], fusedAway: String)
  }

  static func node(
    _ name: String, _ operation: Operation, _ inputs: [String], _ shape: [Int],
    _ weights: [String: [Int]] = [:]
  ) -> (Node, [String: [Int]]) {
    let named = Dictionary(uniqueKeysWithValues: weights.keys.map { ($0, name + "." + $0) })
    let shapes = Dictionary(uniqueKeysWithValues: weights.map { (name + "." + $0.key, $0.value) })
    return (Node(name: name, operation: operation, inputs: inputs, weights: named, outputShape: shape), shapes)
  }

  static func graph(
    _ parts: [(Node, [String: [Int]])], fusedAway: String
  ) -> (nodes: [Node], weights: [String: [Int]], fusedAway: String) {
    (parts.map(\.0), parts.reduce(into: [:]) { $0.merge($1.1) { a, _ in a } }, fusedAway)
  }

  static let tokens = node("tokens", .reshape(shape: [-1, 16, 3]), ["image"], [-1, 16, 3])
  static let attentionWeights = [
    "query_kernel": [3, 1, 3], "query_bias": [1, 3], "key_kernel": [3, 1, 3], "key_bias": [1, 3],
    "value_kernel": [3, 1, 3], "value_bias": [1, 3], "out_kernel": [1, 3, 3], "out_bias": [3],
  ]

  static let cases: [Case] = [
    Case(description: "transpose read by a Dense as a strided view") {
      graph(
        [
          tokens, node("swap", .transpose(permutation: [0, 2, 1]), ["tokens"], [-1, 3, 16]),
          node("mix", .dense, ["swap"], [-1, 3, 5], ["kernel": [16, 5], "bias": [5]]),
        ], fusedAway: "swap")
    },
    Case(description: "Dense + GELU") {
      graph(
        [
          tokens, node("fc", .dense, ["tokens"], [-1, 16, 7], ["kernel": [3, 7], "bias": [7]]),
          node("act", .gelu(approximation: .tanh), ["fc"], [-1, 16, 7]),
        ], fusedAway: "fc")
    },
    Case(description: "Dense + residual Add as an accumulating product") {
      graph(
        [
          tokens, node("norm", .layerNorm(epsilon: 1e-6), ["tokens"], [-1, 16, 3], ["scale": [3], "bias": [3]]),
          node("fc", .dense, ["norm"], [-1, 16, 3], ["kernel": [3, 3], "bias": [3]]),
          node("sum", .add, ["fc", "tokens"], [-1, 16, 3]),
        ], fusedAway: "fc")
    },
    Case(description: "Transpose + Add in one pass") {
      graph(
        [
          tokens, node("other", .transpose(permutation: [0, 2, 1]), ["tokens"], [-1, 3, 16]),
          node("scaled", .dense, ["other"], [-1, 3, 16], ["kernel": [16, 16]]),
          node("back", .transpose(permutation: [0, 2, 1]), ["scaled"], [-1, 16, 3]),
          node("sum", .add, ["tokens", "back"], [-1, 16, 3]),
        ], fusedAway: "back")
    },
    Case(description: "attention + residual Add") {
      graph(
        [
          tokens, node("norm", .layerNorm(epsilon: 1e-6), ["tokens"], [-1, 16, 3], ["scale": [3], "bias": [3]]),
          node("mha", .multiHeadAttention(heads: 1), ["norm"], [-1, 16, 3], attentionWeights),
          node("sum", .add, ["mha", "tokens"], [-1, 16, 3]),
        ], fusedAway: "mha")
    },
    Case(description: "GroupNorm + ReLU") {
      graph(
        [
          node("gn", .groupNorm(groups: 3, epsilon: 1e-5), ["image"], [-1, 4, 4, 3], ["scale": [3], "bias": [3]]),
          node("act", .relu, ["gn"], [-1, 4, 4, 3]),
        ], fusedAway: "gn")
    },
  ]

  /// Deterministic values in [-1, 1).
  static func values(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 23) - 1
    }
  }

  static func document(_ nodes: [Node], _ weights: [String: [Int]], outputs: [String]) -> GraphDocument {
    let shapes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.outputShape) })
    let header = ExportHeader(
      generator: Generator(name: "tests", version: "0"),
      model: ModelInfo(
        family: "vit", name: "test", upstreamName: nil, variant: "classification", parameters: 0, config: [:],
        source: SourceInfo(file: "x.npz", bytes: 0, sha256: "", keyPrefix: "")),
      input: .image(height: 4, width: 4),
      outputs: outputs.map { GraphOutput(name: $0, node: $0, shape: shapes[$0]!, description: "") },
      weights: WeightManifest(
        dtype: "float32",
        tensors: weights.mapValues {
          TensorEntry(shape: $0, crc32c: "00000000", source: "s", sourceDtype: "float32", sourceShape: $0)
        }))
    return GraphDocument(header: header, nodes: nodes)
  }

  @Test(arguments: cases)
  func fusedAndUnfusedPlansAgree(testCase: Case) throws {
    let (nodes, shapes, fusedAway) = testCase.graph()
    let primary = nodes.last!.name
    var seed: UInt64 = 1
    let weights = shapes.mapValues { shape -> Tensor in
      seed += 1
      return Tensor(shape: shape, scalars: Self.values(shape.reduce(1, *), seed: seed))
    }
    let compute = Compute(threads: 1)
    let fusedGraph = Self.document(nodes, shapes, outputs: [primary])
    let plainGraph = Self.document(nodes, shapes, outputs: [primary, fusedAway])
    try fusedGraph.validate()
    try plainGraph.validate()
    let fused = ExecutionPlan(graph: fusedGraph, weights: weights, compute: compute)
    let plain = ExecutionPlan(graph: plainGraph, weights: weights, compute: compute)
    #expect(
      fused.steps.count < plain.steps.count,
      "the fusion must apply (\(fused.steps.count) vs \(plain.steps.count) steps)")
    let input = Tensor(shape: [2, 4, 4, 3], scalars: Self.values(96, seed: 99))
    let a = try PlanExecutor(plan: fused, compute: compute).run(input)[primary]!
    let b = try PlanExecutor(plan: plain, compute: compute).run(input)[primary]!
    #expect(a.shape == b.shape)
    let scale = b.scalars.map(abs).max()!
    let difference = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
    #expect(difference <= 1e-6 * max(scale, 1), "\(testCase): fused and unfused differ by \(difference)")
  }

  @Test func aBatchThatWouldNotFitIsRefusedBeforeRunning() throws {
    let (nodes, shapes, _) = Self.cases[1].graph()
    let weights = shapes.mapValues { Tensor(shape: $0, scalars: [Float](repeating: 0, count: $0.reduce(1, *))) }
    let executor = PlanExecutor(
      plan: ExecutionPlan(
        graph: Self.document(nodes, shapes, outputs: ["act"]), weights: weights,
        compute: Compute(threads: 1)), compute: Compute(threads: 1))
    #expect { try executor.checkMemory(batch: Int.max / 4) } throws: {
      ($0 as? GraphError)?.message.contains("more than the") == true
    }
    #expect { try executor.checkMemory(batch: MemoryBudget.bytes) } throws: { $0 is GraphError }
    try executor.checkMemory(batch: 2)
  }
}
