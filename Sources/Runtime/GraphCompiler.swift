import Graph
import Kernels

extension ExecutionPlan {
  /// Compiles a canonical graph: token selections moved ahead of the nodes that treat tokens
  /// alone (``TokenSelectionPushdown``), weight matrices packed once for the kernel path, and
  /// neighbouring nodes fused where that saves a pass over memory. Neither changes what is
  /// computed, only how many rows are and how many times values travel through memory.
  ///
  /// - Parameters:
  ///   - graph: a validated graph document.
  ///   - weights: every weight of its manifest, float32, in its canonical shape.
  public init(graph: GraphDocument, weights: [String: Tensor], compute: Compute) {
    let (input, graphOutputs) = (graph.header.input, graph.header.outputs)
    let outputs = Set(graphOutputs.map(\.node))
    let nodes = TokenSelectionPushdown.apply(to: graph.nodes, input: input.name, outputs: outputs)
    let byName = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
    var consumers: [String: [Int]] = [:]
    for (index, node) in nodes.enumerated() { for input in node.inputs { consumers[input, default: []].append(index) } }
    /// The single node reading `name`, if exactly one does and `name` is not a graph output.
    func soleConsumer(_ name: String) -> Node? {
      guard !outputs.contains(name), let readers = consumers[name], readers.count == 1 else { return nil }
      return nodes[readers[0]]
    }
    /// Whether node `index` is the last reader of `name` (so its buffer may be reused).
    func lastReader(_ name: String, is index: Int) -> Bool {
      name != input.name && !outputs.contains(name) && consumers[name]?.max() == index
    }
    func weight(_ node: Node, _ role: String) -> Tensor? { node.weights[role].map { weights[$0]! } }
    let swapLastTwo = [0, 2, 1]
    /// The other input of the Add that solely consumes `name`, when its buffer may take the sum.
    func residualTarget(of name: String) -> (add: Node, onto: String)? {
      guard let consumer = soleConsumer(name), consumer.operation == .add else { return nil }
      let other = consumer.inputs[0] == name ? consumer.inputs[1] : consumer.inputs[0]
      guard other != name, lastReader(other, is: byName[consumer.name]!) else { return nil }
      return (consumer, other)
    }

    /// An MLP-Mixer token-mixing block starting at `transpose`: Transpose → Dense → GELU (tanh)
    /// → Dense → Transpose → residual Add, each the sole reader of the one before.
    func tokenMixingBlock(_ transpose: Node) -> (fc1: Node, gelu: Node, fc2: Node, back: Node, add: Node, onto: String)?
    {
      guard transpose.operation == .transpose(permutation: swapLastTwo),
        let fc1 = soleConsumer(transpose.name), fc1.operation == .dense, fc1.weights["bias"] != nil,
        let gelu = soleConsumer(fc1.name), gelu.operation == .gelu(approximation: .tanh),
        let fc2 = soleConsumer(gelu.name), fc2.operation == .dense, fc2.weights["bias"] != nil,
        let back = soleConsumer(fc2.name), back.operation == .transpose(permutation: swapLastTwo),
        let (add, onto) = residualTarget(of: back.name)
      else { return nil }
      return (fc1, gelu, fc2, back, add, onto)
    }

    var steps: [Step] = []
    var fused: Set<String> = []
    for node in nodes where !fused.contains(node.name) {
      let input = node.inputs[0]
      switch node.operation {
      case .conv2D(let conv):
        var kernel = weight(node, "kernel")!
        if let standardization = conv.weightStandardization {
          kernel = compute.standardizeWeights(kernel, epsilon: Float(standardization.epsilon))
        }
        let flat = kernel.reshaped([kernel.shape[0] * kernel.shape[1] * kernel.shape[2], kernel.shape[3]])
        steps.append(
          .conv2D(
            output: node.name, input: input, kernel: compute.pack(flat),
            kernelSize: (kernel.shape[0], kernel.shape[1]), bias: weight(node, "bias"),
            stride: conv.strides[0], padding: conv.padding))
      case .reshape(let shape):
        steps.append(.reshape(output: node.name, input: input, shape: shape))
      case .layerNorm(let epsilon):
        steps.append(
          .layerNorm(
            output: node.name, input: input, scale: weight(node, "scale")!,
            bias: weight(node, "bias")!, epsilon: Float(epsilon)))
      case .transpose(let permutation):
        if let block = tokenMixingBlock(node) {
          fused.formUnion([block.fc1.name, block.gelu.name, block.fc2.name, block.back.name, block.add.name])
          steps.append(
            .tokenMixing(
              output: block.add.name, residual: block.onto, input: input,
              fc1: compute.packLeft(transposing: weight(block.fc1, "kernel")!),
              bias1: weight(block.fc1, "bias")!,
              fc2: compute.packLeft(transposing: weight(block.fc2, "kernel")!),
              bias2: weight(block.fc2, "bias")!))
          continue
        }
        let consumer = soleConsumer(node.name)
        if permutation == swapLastTwo, let consumer, consumer.operation == .dense {
          continue  // read as a strided view by the Dense
        }
        if permutation == swapLastTwo, let consumer, consumer.operation == .add {
          let other = consumer.inputs[0] == node.name ? consumer.inputs[1] : consumer.inputs[0]
          if lastReader(other, is: byName[consumer.name]!), other != node.name {
            fused.insert(consumer.name)
            steps.append(.addTransposed(output: consumer.name, a: other, b: input))
            continue
          }
        }
        steps.append(.transpose(output: node.name, input: input, permutation: permutation))
      case .dense:
        var source = input
        var transposed = false
        if let producer = byName[input].map({ nodes[$0] }), producer.operation == .transpose(permutation: swapLastTwo),
          soleConsumer(input)?.name == node.name
        {
          source = producer.inputs[0]
          transposed = true
        }
        var output = node.name
        var gelu = false
        var onto: String?
        if let consumer = soleConsumer(node.name), consumer.operation == .gelu(approximation: .tanh) {
          gelu = true
          output = consumer.name
          fused.insert(consumer.name)
        } else if let (add, other) = residualTarget(of: node.name) {
          onto = other
          output = add.name
          fused.insert(add.name)
        }
        let kernel = compute.pack(weight(node, "kernel")!)
        steps.append(
          .dense(
            output: output, input: source, transposedInput: transposed, kernel: kernel,
            bias: weight(node, "bias"), gelu: gelu, accumulateOnto: onto))
      case .gelu(let approximation):
        steps.append(.gelu(output: node.name, input: input, approximation: approximation))
      case .add:
        steps.append(.add(output: node.name, a: input, b: node.inputs[1]))
      case .mean(let axis):
        steps.append(.mean(output: node.name, input: input, axis: axis))
      case .classToken:
        steps.append(.classToken(output: node.name, input: input, token: weight(node, "token")!))
      case .positionEmbedding:
        steps.append(.positionEmbedding(output: node.name, input: input, embedding: weight(node, "embedding")!))
      case .multiHeadAttention(let heads):
        var output = node.name
        var onto: String?
        var queryToken: Int?
        if let selection = soleConsumer(node.name), case .selectToken(let index) = selection.operation {
          queryToken = index
          output = selection.name
          fused.insert(selection.name)
        }
        if let (add, other) = residualTarget(of: output) {
          onto = other
          output = add.name
          fused.insert(add.name)
        }
        let (qkv, qkvBias) = Self.fusedProjection(node, weights)
        let outKernel = weight(node, "out_kernel")!
        let width = outKernel.shape[0] * outKernel.shape[1]
        steps.append(
          .attention(
            output: output, input: input, qkv: compute.pack(qkv), qkvBias: qkvBias,
            out: compute.pack(outKernel.reshaped([width, outKernel.shape[2]])),
            outBias: weight(node, "out_bias")!, heads: heads, accumulateOnto: onto, queryToken: queryToken))
      case .selectToken(let index):
        steps.append(.selectToken(output: node.name, input: input, index: index))
      case .tanh:
        steps.append(.tanh(output: node.name, input: input))
      case .relu:
        steps.append(.relu(output: node.name, input: input))
      case .groupNorm(let groups, let epsilon):
        var output = node.name
        var relu = false
        if let consumer = soleConsumer(node.name), consumer.operation == .relu {
          relu = true
          output = consumer.name
          fused.insert(consumer.name)
        }
        steps.append(
          .groupNorm(
            output: output, input: input, scale: weight(node, "scale")!, bias: weight(node, "bias")!,
            groups: groups, epsilon: Float(epsilon), relu: relu))
      case .maxPool2D(let window, let strides, let padding):
        steps.append(.maxPool(output: node.name, input: input, window: window[0], stride: strides[0], padding: padding))
      }
    }
    self.init(
      steps: steps, input: input.name, inputShape: input.shape,
      outputs: graphOutputs.map { ($0.name, $0.node) }, memory: graph.memoryEstimate)
  }

  /// The query, key and value kernels side by side as one (D, 3·h·d) matrix, and their biases.
  private static func fusedProjection(_ node: Node, _ weights: [String: Tensor]) -> (Tensor, Tensor) {
    let parts = ["query", "key", "value"].map { weights[node.weights[$0 + "_kernel"]!]! }
    let biases = ["query", "key", "value"].map { weights[node.weights[$0 + "_bias"]!]! }
    let d = parts[0].shape[0]
    let width = parts[0].count / d
    var fused = [Float]()
    fused.reserveCapacity(3 * d * width)
    for row in 0..<d { for part in parts { fused += part.scalars[(row * width)..<((row + 1) * width)] } }
    return (
      Tensor(shape: [d, 3 * width], scalars: fused), Tensor(shape: [3 * width], scalars: biases.flatMap(\.scalars))
    )
  }
}
