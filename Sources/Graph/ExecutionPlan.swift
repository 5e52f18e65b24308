import Kernels

/// One step of an ``ExecutionPlan``: an operation, possibly several graph nodes fused.
enum Step: @unchecked Sendable {
  case conv2D(output: String, input: String, kernel: PackedMatrix, kernelSize: (Int, Int), bias: Tensor?, stride: Int,
              padding: Padding)
  case reshape(output: String, input: String, shape: [Int])
  case layerNorm(output: String, input: String, scale: Tensor, bias: Tensor, epsilon: Float)
  case transpose(output: String, input: String, permutation: [Int])
  /// `x · kernel + bias`, then GELU if `gelu`; with `transposedInput` the input's last two
  /// axes are read swapped (a folded Transpose); with `accumulateOnto` the result is added
  /// into that value's buffer (a folded residual Add), which becomes the output.
  case dense(output: String, input: String, transposedInput: Bool, kernel: PackedMatrix, bias: Tensor?, gelu: Bool,
             accumulateOnto: String?)
  case gelu(output: String, input: String, approximation: GELUApproximation)
  case add(output: String, a: String, b: String)
  /// `a + bᵀ` (last two axes of `b` swapped), computed in `a`'s buffer (a folded Transpose and Add).
  case addTransposed(output: String, a: String, b: String)
  case mean(output: String, input: String, axis: Int)

  var output: String {
    switch self {
    case .conv2D(let o, _, _, _, _, _, _), .reshape(let o, _, _), .layerNorm(let o, _, _, _, _), .transpose(let o, _, _),
      .dense(let o, _, _, _, _, _, _), .gelu(let o, _, _), .add(let o, _, _), .addTransposed(let o, _, _),
      .mean(let o, _, _):
      o
    }
  }

  var inputs: [String] {
    switch self {
    case .conv2D(_, let i, _, _, _, _, _), .reshape(_, let i, _), .layerNorm(_, let i, _, _, _), .transpose(_, let i, _),
      .gelu(_, let i, _), .mean(_, let i, _):
      [i]
    case .dense(_, let i, _, _, _, _, let onto): [i] + (onto.map { [$0] } ?? [])
    case .add(_, let a, let b), .addTransposed(_, let a, let b): [a, b]
    }
  }
}

/// The graph compiled for running: weight matrices packed once for the kernel path, and
/// neighbouring nodes fused where that saves a pass over memory. Fusion never changes what
/// is computed, only how many times values travel through memory.
struct ExecutionPlan: Sendable {
  let steps: [Step]
  /// Index of the last step that reads each value (outputs: past the end).
  let lastUse: [String: Int]

  init(graph: GraphDocument, weights: [String: Tensor], compute: Compute) {
    let nodes = graph.nodes
    let byName = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
    let outputs = Set(graph.outputs.map(\.node))
    var consumers: [String: [Int]] = [:]
    for (index, node) in nodes.enumerated() { for input in node.inputs { consumers[input, default: []].append(index) } }
    /// The single node reading `name`, if exactly one does and `name` is not a graph output.
    func soleConsumer(_ name: String) -> Node? {
      guard !outputs.contains(name), let readers = consumers[name], readers.count == 1 else { return nil }
      return nodes[readers[0]]
    }
    /// Whether node `index` is the last reader of `name` (so its buffer may be reused).
    func lastReader(_ name: String, is index: Int) -> Bool {
      name != graph.input.name && !outputs.contains(name) && consumers[name]?.max() == index
    }
    func weight(_ node: Node, _ role: String) -> Tensor? { node.weights[role].map { weights[$0]! } }
    let swapLastTwo = [0, 2, 1]

    var steps: [Step] = []
    var fused: Set<String> = []
    for node in nodes where !fused.contains(node.name) {
      let input = node.inputs[0]
      switch node.operation {
      case .conv2D(let conv):
        let kernel = weight(node, "kernel")!
        let flat = kernel.reshaped([kernel.shape[0] * kernel.shape[1] * kernel.shape[2], kernel.shape[3]])
        steps.append(.conv2D(output: node.name, input: input, kernel: compute.pack(flat),
                             kernelSize: (kernel.shape[0], kernel.shape[1]), bias: weight(node, "bias"),
                             stride: conv.strides[0], padding: conv.padding))
      case .reshape(let shape):
        steps.append(.reshape(output: node.name, input: input, shape: shape))
      case .layerNorm(let epsilon):
        steps.append(.layerNorm(output: node.name, input: input, scale: weight(node, "scale")!,
                                bias: weight(node, "bias")!, epsilon: Float(epsilon)))
      case .transpose(let permutation):
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
        } else if let consumer = soleConsumer(node.name), consumer.operation == .add {
          let other = consumer.inputs[0] == node.name ? consumer.inputs[1] : consumer.inputs[0]
          if other != node.name, lastReader(other, is: byName[consumer.name]!) {
            onto = other
            output = consumer.name
            fused.insert(consumer.name)
          }
        }
        let kernel = compute.pack(weight(node, "kernel")!)
        steps.append(.dense(output: output, input: source, transposedInput: transposed, kernel: kernel,
                            bias: weight(node, "bias"), gelu: gelu, accumulateOnto: onto))
      case .gelu(let approximation):
        steps.append(.gelu(output: node.name, input: input, approximation: approximation))
      case .add:
        steps.append(.add(output: node.name, a: input, b: node.inputs[1]))
      case .mean(let axis):
        steps.append(.mean(output: node.name, input: input, axis: axis))
      }
    }
    var lastUse: [String: Int] = [:]
    for (index, step) in steps.enumerated() { for name in step.inputs { lastUse[name] = index } }
    for output in graph.outputs { lastUse[output.node] = steps.count }
    self.steps = steps
    self.lastUse = lastUse
  }
}
