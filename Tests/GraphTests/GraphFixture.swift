import Graph

/// Small graph documents built in code: nodes, the shapes of their weights, and the header.
struct GraphFixture {
  var input: [Int] = [-1, 8, 8, 3]
  var nodes: [Node] = []
  var weights: [String: [Int]] = [:]
  /// The outputs (default: the last node, under the name `logits`).
  var outputs: [GraphOutput]?
  var dtype = "float32"

  /// Appends a node; `weights` maps role → shape, named `name.role` in the manifest.
  @discardableResult
  mutating func add(
    _ name: String, _ operation: Operation, _ inputs: [String]? = nil, shape: [Int],
    weights roles: [String: [Int]] = [:]
  ) -> String {
    var named: [String: String] = [:]
    for (role, shape) in roles {
      named[role] = name + "." + role
      weights[name + "." + role] = shape
    }
    nodes.append(
      Node(
        name: name, operation: operation, inputs: inputs ?? [nodes.last?.name ?? "image"], weights: named,
        outputShape: shape))
    return name
  }

  var document: GraphDocument {
    let contract = InputContract.image(height: input.count > 1 ? input[1] : 1, width: input.count > 2 ? input[2] : 1)
    var header = ExportHeader(
      generator: Generator(name: "tests", version: "0"),
      model: ModelInfo(
        family: "mixer", name: "test", upstreamName: nil, variant: "classification", parameters: 0,
        config: [:], source: SourceInfo(file: "x.npz", bytes: 0, sha256: "", keyPrefix: "")),
      input: contract,
      outputs: outputs ?? nodes.last.map {
        [GraphOutput(name: "logits", node: $0.name, shape: $0.outputShape, description: "")]
      } ?? [],
      weights: WeightManifest(
        dtype: dtype,
        tensors: weights.mapValues {
          TensorEntry(shape: $0, crc32c: "00000000", source: "s", sourceDtype: "float32", sourceShape: $0)
        }))
    header.input.shape = input
    return GraphDocument(header: header, nodes: nodes)
  }
}
