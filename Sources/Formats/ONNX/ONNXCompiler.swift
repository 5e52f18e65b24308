import Graph
import Kernels
import LayerAttributes
import Runtime

/// Compiles the nodes of an ONNX export into an execution plan on the kernels.
///
/// Each node must be one of the operators mixer-convert writes, with attributes it writes
/// (formats/onnx-layout.md); anything else is refused by name. Shapes are inferred node by
/// node with the batch symbolic (`-1`), so a graph that does not compute what its outputs
/// declare is refused before anything runs. Nodes whose inputs are all constants
/// (initializers, `Constant` nodes) are evaluated once here, with the same kernels: that is
/// how the kernels' derived forms (an OIHW kernel, a standardised kernel, a float32 copy of a
/// bfloat16 weight) are computed.
struct ONNXCompiler {
  /// A value known while compiling.
  private enum Value {
    /// Known now: float32 values.
    case floats(Tensor)
    /// Known now: int64 values with their shape.
    case integers(shape: [Int], values: [Int])
    /// Computed when the plan runs; `-1` is the batch.
    case computed(shape: [Int])

    var shape: [Int] {
      switch self {
      case .floats(let tensor): tensor.shape
      case .integers(let shape, _): shape
      case .computed(let shape): shape
      }
    }
  }

  private let graph: ONNXGraph
  private let compute: Compute
  private var values: [String: Value] = [:]
  private var steps: [Step] = []
  /// Constants the steps read.
  private var constants: [String: Tensor] = [:]
  private var consumers: [String: Int] = [:]
  /// Swaps of the last two axes left for their reader to read in place: value → the value
  /// swapped.
  private var transposedViews: [String: String] = [:]
  /// The index of the last node reading each value (graph outputs: never released).
  private var lastReader: [String: Int] = [:]
  /// Add nodes folded into the MatMul before them (as its bias).
  private var fused: Set<Int> = []
  private var names: Set<String>
  private var serial = 0
  /// Scratch a node's steps take beyond its output, in elements per image (a convolution's
  /// NHWC copies and patches), by node index.
  private var scratch: [Int: Int] = [:]
  /// Elements that folded constants added beyond their inputs (see ``checkBounded(_:folding:)``).
  private var foldedGrowth = 0

  /// Compiles `graph`, whose initializers are `weights` (float32), reading an input of
  /// `inputShape` (`[-1, H, W, 3]`), into a plan whose outputs are `outputs` (name and shape).
  static func plan(
    _ graph: ONNXGraph, weights: [String: Tensor], inputShape: [Int], outputs: [GraphOutput],
    compute: Compute
  ) throws -> ExecutionPlan {
    var compiler = ONNXCompiler(graph: graph, compute: compute, weights: weights)
    let input = graph.inputs[0].name
    compiler.values[input] = .computed(shape: inputShape)
    for (index, node) in graph.nodes.enumerated() where !compiler.fused.contains(index) {
      do { try compiler.add(node, at: index) } catch let error as GraphError {
        throw GraphError("node '\(node.name)' (\(node.opType)): \(error.message)")
      }
    }
    for output in outputs {
      guard case .computed(let shape) = compiler.values[output.name] else {
        throw GraphError("output '\(output.name)' is not computed by the graph")
      }
      guard shape == output.shape else {
        throw GraphError("output '\(output.name)' has shape \(shape) but the header says \(output.shape)")
      }
    }
    var computed: [String: [Int]] = [:]
    for (name, value) in compiler.values { if case .computed(let shape) = value { computed[name] = shape } }
    let memory = graph.memoryEstimate(computedShapes: computed, scratch: compiler.scratch)
    return ExecutionPlan(
      steps: compiler.steps, input: input, inputShape: inputShape,
      outputs: outputs.map { ($0.name, $0.name) }, constants: compiler.constants, memory: memory)
  }

  private init(graph: ONNXGraph, compute: Compute, weights: [String: Tensor]) {
    self.graph = graph
    self.compute = compute
    for (name, tensor) in weights { values[name] = .floats(tensor) }
    var names = Set(weights.keys)
    for node in graph.nodes {
      for input in node.inputs { consumers[input, default: 0] += 1 }
      names.formUnion(node.outputs)
    }
    for output in graph.outputs { consumers[output.name, default: 0] += 1 }
    for (index, node) in graph.nodes.enumerated() { for input in node.inputs { lastReader[input] = index } }
    for output in graph.outputs { lastReader[output.name] = Int.max }
    self.names = names
  }

  // MARK: - Nodes

  private mutating func add(_ node: ONNXNode, at index: Int) throws {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else {
      throw GraphError("operator domain '\(node.domain)' is not the default domain")
    }
    guard node.outputs.count == 1, !node.outputs[0].isEmpty else { throw GraphError("must have exactly one output") }
    let output = node.outputs[0]
    guard values[output] == nil else { throw GraphError("redefines '\(output)'") }
    let inputs = try node.inputs.map { name in
      guard let value = values[name] else { throw GraphError("reads '\(name)', which is not defined before it") }
      return value
    }
    guard let operation = ONNXOperator(rawValue: node.opType) else {
      throw GraphError("operator \(node.opType) is not one mixer-convert writes")
    }
    if let unknown = node.attributes.first(where: { !operation.attributes.contains($0.name) }) {
      throw GraphError("attribute '\(unknown.name)' is not one mixer-convert writes for \(node.opType)")
    }
    func arity(_ counts: ClosedRange<Int>) throws {
      guard counts.contains(inputs.count) else { throw GraphError("takes \(counts) inputs, not \(inputs.count)") }
    }
    let x = inputs.first
    let xName = node.inputs.first ?? ""
    switch operation {
    case .constant:
      try arity(0...0)
      guard case .tensor(let tensor)? = node.attribute("value") else { throw GraphError("needs a tensor 'value'") }
      values[output] = try Self.constant(tensor)
    case .cast:
      try arity(1...1)
      guard try int(node, "to") == ONNXProto.DataType.float.rawValue, case .floats? = x else {
        throw GraphError("casts only weights to float32 (to = 1)")
      }
      values[output] = x
    case .transpose:
      try arity(1...1)
      guard case .ints(let permutation)? = node.attribute("perm"), permutation.sorted() == Array(0..<x!.shape.count)
      else {
        throw GraphError("needs 'perm', a permutation of the \(x!.shape.count) axes")
      }
      let shape = permutation.map { x!.shape[$0] }
      if permutation == [0, 2, 1], case .computed = x!, try swapFolded(node, at: index, source: xName, shape: shape) {
        return
      }
      try apply(
        node, .transpose(output: output, input: xName, permutation: permutation), shape: shape,
        keepsBatch: permutation.first == 0)
    case .reshape:
      try arity(2...2)
      if let allowZero = node.attribute("allowzero") {
        guard case .int(0) = allowZero else { throw GraphError("allowzero must be 0") }
      }
      guard case .integers(let specShape, let spec) = inputs[1], specShape.count == 1 else {
        throw GraphError("needs a constant int64 shape")
      }
      let shape = try Self.reshaped(x!.shape, spec)
      if case .floats(let tensor) = x! {
        values[output] = .floats(tensor.reshaped(shape))
        return
      }
      try apply(node, .reshape(output: output, input: xName, shape: shape), shape: shape)
    case .conv:
      try arity(2...3)
      try convolution(node, inputs, at: index, output: output)
    case .maxPool:
      try arity(1...1)
      try maxPool(node, x!, input: xName, output: output)
    case .groupNormalization:
      try arity(3...3)
      try groupNorm(node, inputs, output: output)
    case .layerNormalization:
      try arity(3...3)
      guard case .computed(let shape) = x!, let width = shape.last,
        try Self.axis(node, rank: shape.count, default: -1) == shape.count - 1,
        case .floats(let scale) = inputs[1], case .floats(let bias) = inputs[2], scale.shape == [width],
        bias.shape == [width]
      else {
        throw GraphError("normalises the last axis of a computed value with constant scale and bias of its width")
      }
      try stashType(node)
      steps.append(
        .layerNorm(
          output: output, input: xName, scale: scale, bias: bias,
          epsilon: try float(node, "epsilon", default: 1e-5)))
      values[output] = .computed(shape: shape)
    case .matMul:
      try arity(2...2)
      try matmul(node, inputs, at: index, output: output)
    case .add, .sub, .mul, .div:
      try arity(2...2)
      let binary: BinaryOperation =
        switch operation {
        case .add: .add
        case .sub: .subtract
        case .mul: .multiply
        default: .divide
        }
      if case .floats(let a) = inputs[0], case .floats(let b) = inputs[1] {
        guard let shape = Compute.broadcastShape(a.shape, b.shape) else {
          throw GraphError("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        try checkBounded(shape, folding: inputs)
        values[output] = .floats(compute.binary(a, b, binary))
        return
      }
      // The batch (-1) broadcasts like any size other than 1.
      guard let shape = Compute.broadcastShape(inputs[0].shape, inputs[1].shape) else {
        throw GraphError("shapes \(inputs[0].shape) and \(inputs[1].shape) do not broadcast")
      }
      try checkBounded(shape)
      let operands = [node.inputs[0], node.inputs[1]].enumerated().map { publish($0.element, inputs[$0.offset]) }
      steps.append(.binary(output: output, a: operands[0], b: operands[1], operation: binary))
      values[output] = .computed(shape: shape)
    case .gelu:
      try arity(1...1)
      let approximation: GELUApproximation
      switch node.attribute("approximate") {
      case nil, .string("none")?: approximation = .none
      case .string("tanh")?: approximation = .tanh
      default: throw GraphError("approximate must be 'none' or 'tanh'")
      }
      try apply(node, .gelu(output: output, input: xName, approximation: approximation), shape: x!.shape)
    case .tanh:
      try arity(1...1)
      try apply(node, .tanh(output: output, input: xName), shape: x!.shape)
    case .relu:
      try arity(1...1)
      try apply(node, .relu(output: output, input: xName), shape: x!.shape)
    case .sqrt:
      try arity(1...1)
      try apply(node, .squareRoot(output: output, input: xName), shape: x!.shape)
    case .softmax:
      try arity(1...1)
      guard try Self.axis(node, rank: x!.shape.count, default: -1) == x!.shape.count - 1 else {
        throw GraphError("softmax is over the last axis only")
      }
      try apply(node, .softmax(output: output, input: xName), shape: x!.shape)
    case .reduceMean:
      try arity(2...2)
      try reduceMean(node, x!, inputs[1], input: xName, output: output)
    case .pad:
      try arity(2...2)
      if let mode = node.attribute("mode") {
        guard case .string("constant") = mode else { throw GraphError("mode must be 'constant'") }
      }
      guard case .integers(let padsShape, let pads) = inputs[1], padsShape == [2 * x!.shape.count],
        pads.allSatisfy({ $0 >= 0 })
      else {
        throw GraphError("needs constant, non-negative int64 pads, two per axis")
      }
      // Bounded so that the padded sizes cannot overflow (checkBounded then bounds their product).
      guard pads.allSatisfy({ $0 <= ExportHeader.maxTensorElements }) else {
        throw GraphError("pads more than \(ExportHeader.maxTensorElements) on an axis")
      }
      let rank = x!.shape.count
      let (before, after) = (Array(pads[..<rank]), Array(pads[rank...]))
      let shape = x!.shape.enumerated().map {
        $0.element == -1 ? -1 : $0.element + before[$0.offset] + after[$0.offset]
      }
      guard x!.shape.first != -1 || (before[0] == 0 && after[0] == 0) else {
        throw GraphError("cannot pad the batch axis")
      }
      try apply(node, .pad(output: output, input: xName, before: before, after: after), shape: shape)
    case .gather:
      try arity(2...2)
      guard case .computed(let shape) = x!, shape.count == 3, try Self.axis(node, rank: 3, default: 0) == 1,
        case .integers(let indexShape, let index) = inputs[1], indexShape.isEmpty
      else { throw GraphError("gathers one position (a scalar index) along axis 1 of a computed sequence") }
      let position = index[0] < 0 ? index[0] + shape[1] : index[0]
      guard position >= 0, position < shape[1] else {
        throw GraphError("index \(index[0]) is outside \(shape[1]) positions")
      }
      steps.append(.selectToken(output: output, input: xName, index: position))
      values[output] = .computed(shape: [shape[0], shape[2]])
    }
  }

  /// A step on a computed value, or the same evaluated now on a constant one.
  private mutating func apply(_ node: ONNXNode, _ step: Step, shape: [Int], keepsBatch: Bool = true) throws {
    let input = node.inputs[0]
    try checkBounded(shape, folding: [values[input]!])
    switch values[input]! {
    case .floats(let tensor):
      values[step.output] = .floats(step.evaluate(reading: [input: tensor], compute: compute))
    case .integers:
      throw GraphError("does not take int64 values")
    case .computed:
      guard keepsBatch else { throw GraphError("would move the batch axis") }
      steps.append(step)
      values[step.output] = .computed(shape: shape)
    }
  }

  /// The name under which a step reads `value`: a constant becomes one of the plan's.
  private mutating func publish(_ name: String, _ value: Value) -> String {
    if case .floats(let tensor) = value { constants[name] = tensor }
    return name
  }

  private mutating func matmul(_ node: ONNXNode, _ inputs: [Value], at index: Int, output: String) throws {
    let (a, b) = (inputs[0], inputs[1])
    switch (a, b) {
    case (.floats(let x), .floats(let y)):
      guard x.shape.count == 2, y.shape.count == 2, x.shape[1] == y.shape[0] else {
        throw GraphError("constant shapes do not multiply")
      }
      try checkBounded([x.shape[0], y.shape[1]], folding: inputs)
      values[output] = .floats(compute.matmul(x, y))
    case (.computed(let shape), .floats(let kernel)):
      guard kernel.shape.count == 2, shape.last == kernel.shape[0] else {
        throw GraphError("cannot multiply \(shape) by a constant \(kernel.shape)")
      }
      let productShape = Array(shape.dropLast()) + [kernel.shape[1]]
      try checkBounded(productShape)
      let epilogue = self.epilogue(after: index, product: output, shape: productShape)
      let result = epilogue.output ?? output
      let source = transposedViews[node.inputs[0]]
      steps.append(
        .dense(
          output: result, input: source ?? node.inputs[0], transposedInput: source != nil,
          kernel: compute.pack(kernel), bias: epilogue.bias, gelu: epilogue.gelu, accumulateOnto: epilogue.onto))
      values[result] = .computed(shape: productShape)
    case (.computed(let x), .computed(let y)):
      guard x.count >= 3, x.count == y.count, x.dropLast(2) == y.dropLast(2), x[x.count - 1] == y[y.count - 2] else {
        throw GraphError("cannot multiply \(x) by \(y)")
      }
      let productShape = Array(x.dropLast()) + [y[y.count - 1]]
      try checkBounded(productShape)
      steps.append(.matmul(output: output, a: node.inputs[0], b: node.inputs[1]))
      values[output] = .computed(shape: productShape)
    default:
      throw GraphError("multiplies values mixer-convert never multiplies")
    }
  }

  /// Folds a swap of the last two axes into the node right after it, its sole reader, where
  /// the kernels read the swap in place (as the canonical graph's fusions do): a product by a
  /// constant kernel reads a transposed view, a residual `Add` adds the transpose into the other
  /// value's buffer. Returns false when neither applies.
  private mutating func swapFolded(_ node: ONNXNode, at index: Int, source: String, shape: [Int]) throws -> Bool {
    let output = node.outputs[0]
    guard consumers[output] == 1, index + 1 < graph.nodes.count else { return false }
    let next = graph.nodes[index + 1]
    guard next.domain.isEmpty, next.attributes.isEmpty, next.outputs.count == 1, values[next.outputs[0]] == nil,
      next.inputs.count == 2
    else { return false }
    if next.opType == ONNXOperator.matMul.rawValue, next.inputs[0] == output,
      case .floats(let kernel)? = values[next.inputs[1]],
      kernel.shape.count == 2, kernel.shape[0] == shape[2]
    {
      transposedViews[output] = source
      values[output] = .computed(shape: shape)
      return true
    }
    let other = next.inputs[0] == output ? next.inputs[1] : next.inputs[0]
    if next.opType == ONNXOperator.add.rawValue, other != output, canTakeSum(other, readLastAt: index + 1, shape: shape)
    {
      steps.append(.addTransposed(output: next.outputs[0], a: other, b: source))
      values[next.outputs[0]] = .computed(shape: shape)
      fused.insert(index + 1)
      return true
    }
    return false
  }

  /// What a product by a constant kernel can take into its epilogue from the nodes right
  /// after it, each the sole reader of the one before: a bias `Add` of a constant of the
  /// product's width, then either `Gelu` (tanh) or a residual `Add` onto a computed value no
  /// later node reads (whose buffer then takes the sum). The nodes taken are marked fused.
  private mutating func epilogue(
    after index: Int, product: String, shape: [Int]
  )
    -> (bias: Tensor?, gelu: Bool, onto: String?, output: String?)
  {
    func node(_ offset: Int, _ type: ONNXOperator, reading input: String) -> ONNXNode? {
      guard index + offset < graph.nodes.count, consumers[input] == 1 else { return nil }
      let next = graph.nodes[index + offset]
      guard next.opType == type.rawValue, next.domain.isEmpty, next.outputs.count == 1, values[next.outputs[0]] == nil,
        next.inputs.count == (type == .gelu ? 1 : 2), next.inputs.contains(input)
      else { return nil }
      return next
    }
    guard let add = node(1, .add, reading: product), add.attributes.isEmpty, add.inputs[0] == product,
      case .floats(let bias)? = values[add.inputs[1]], bias.shape == [shape.last!]
    else { return (nil, false, nil, nil) }
    fused.insert(index + 1)
    let biased = add.outputs[0]
    if let gelu = node(2, .gelu, reading: biased), case .string("tanh")? = gelu.attribute("approximate"),
      gelu.attributes.count == 1
    {
      fused.insert(index + 2)
      return (bias, true, nil, gelu.outputs[0])
    }
    if let residual = node(2, .add, reading: biased), residual.attributes.isEmpty {
      let other = residual.inputs[0] == biased ? residual.inputs[1] : residual.inputs[0]
      if other != biased, canTakeSum(other, readLastAt: index + 2, shape: shape) {
        fused.insert(index + 2)
        return (bias, false, other, residual.outputs[0])
      }
    }
    return (bias, false, nil, biased)
  }

  /// Whether the buffer of `value` can take a sum in place: a computed value of `shape`, not the
  /// graph's input, whose last reader is the node at `index`.
  private func canTakeSum(_ value: String, readLastAt index: Int, shape: [Int]) -> Bool {
    guard value != graph.inputs[0].name, lastReader[value] == index, case .computed(let valueShape)? = values[value]
    else {
      return false
    }
    return valueShape == shape
  }

  private mutating func convolution(_ node: ONNXNode, _ inputs: [Value], at index: Int, output: String) throws {
    guard case .computed(let shape) = inputs[0], shape.count == 4, case .floats(let weight) = inputs[1],
      weight.shape.count == 4,
      weight.shape[1] == shape[1]
    else { throw GraphError("convolves a computed NCHW value with a constant OIHW kernel of its channels") }
    let (outputs, rows, columns) = (weight.shape[0], weight.shape[2], weight.shape[3])
    var bias: Tensor?
    if inputs.count == 3 {
      guard case .floats(let b) = inputs[2], b.shape == [outputs] else {
        throw GraphError("bias must be constant, one per output channel")
      }
      bias = b
    }
    if let group = node.attribute("group") { guard case .int(1) = group else { throw GraphError("group must be 1") } }
    if let dilations = node.attribute("dilations") {
      guard case .ints([1, 1]) = dilations else { throw GraphError("dilations must be 1") }
    }
    let window = try self.window(node, input: shape, kernel: [rows, columns])
    let outputShape = [shape[0], outputs, window.rows, window.columns]
    try checkBounded(outputShape)
    let produced = outputs * window.rows * window.columns
    let patches = try Self.checkedProduct([window.rows, window.columns, rows, columns, shape[1]])
    try checkBounded([-1, patches])
    scratch[index] = shape.dropFirst().reduce(1, *) + produced + patches
    let hwio = compute.permute(weight, [2, 3, 1, 0])
    let kernel = compute.pack(hwio.reshaped([rows * columns * shape[1], outputs]))
    let nhwc = temporary()
    let convolved = temporary()
    steps.append(.transpose(output: nhwc, input: node.inputs[0], permutation: [0, 2, 3, 1]))
    steps.append(
      .conv2D(
        output: convolved, input: nhwc, kernel: kernel, kernelSize: (rows, columns), bias: bias,
        stride: window.stride, padding: window.padding))
    steps.append(.transpose(output: output, input: convolved, permutation: [0, 3, 1, 2]))
    values[output] = .computed(shape: outputShape)
  }

  private mutating func maxPool(_ node: ONNXNode, _ x: Value, input: String, output: String) throws {
    guard case .computed(let shape) = x, shape.count == 4, case .ints(let size)? = node.attribute("kernel_shape"),
      size.count == 2,
      size[0] == size[1]
    else { throw GraphError("pools a computed NCHW value over a square kernel_shape") }
    let window = try self.window(node, input: shape, kernel: size)
    try checkBounded([shape[0], shape[1], window.rows, window.columns])
    let nhwc = temporary()
    let pooled = temporary()
    steps.append(.transpose(output: nhwc, input: input, permutation: [0, 2, 3, 1]))
    steps.append(.maxPool(output: pooled, input: nhwc, window: size[0], stride: window.stride, padding: window.padding))
    steps.append(.transpose(output: output, input: pooled, permutation: [0, 3, 1, 2]))
    values[output] = .computed(shape: [shape[0], shape[1], window.rows, window.columns])
  }

  private mutating func groupNorm(_ node: ONNXNode, _ inputs: [Value], output: String) throws {
    guard case .computed(let shape) = inputs[0], shape.count == 4, case .floats(let scale) = inputs[1],
      case .floats(let bias) = inputs[2], scale.shape == [shape[1]], bias.shape == [shape[1]]
    else { throw GraphError("normalises a computed NCHW value with constant per-channel scale and bias") }
    let groups = try int(node, "num_groups")
    guard groups > 0, shape[1] % groups == 0 else {
      throw GraphError("\(groups) groups do not divide \(shape[1]) channels")
    }
    try stashType(node)
    let nhwc = temporary()
    let normalized = temporary()
    steps.append(.transpose(output: nhwc, input: node.inputs[0], permutation: [0, 2, 3, 1]))
    steps.append(
      .groupNorm(
        output: normalized, input: nhwc, scale: scale, bias: bias, groups: groups,
        epsilon: try float(node, "epsilon", default: 1e-5), relu: false))
    steps.append(.transpose(output: output, input: normalized, permutation: [0, 3, 1, 2]))
    values[output] = .computed(shape: shape)
  }

  private mutating func reduceMean(
    _ node: ONNXNode, _ x: Value, _ axesValue: Value, input: String, output: String
  ) throws {
    guard case .integers(let axesShape, let given) = axesValue, axesShape.count == 1, !given.isEmpty else {
      throw GraphError("needs constant, non-empty int64 axes")
    }
    let rank = x.shape.count
    let axes = given.map { $0 < 0 ? $0 + rank : $0 }
    guard axes.allSatisfy({ (0..<rank).contains($0) }), Set(axes).count == axes.count else {
      throw GraphError("axes \(given) are not distinct axes of a rank-\(rank) value")
    }
    let keep = try int(node, "keepdims", default: 1) != 0
    let shape =
      keep
      ? x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
      : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    guard !(x.shape.first == -1 && axes.contains(0)) else { throw GraphError("cannot average over the batch") }
    let step: Step =
      axes.count == 1 && !keep
      ? .mean(output: output, input: input, axis: axes[0])
      : .reduceMean(output: output, input: input, axes: axes, keepDimensions: keep)
    try apply(node, step, shape: shape)
  }

  // MARK: - Attributes and shapes

  /// The padding, stride and output size of a window over an NCHW `input`: strides equal on
  /// both axes, and pads that are SAME's (extra at the end) or none.
  private func window(
    _ node: ONNXNode, input: [Int], kernel: [Int]
  ) throws
    -> (padding: Padding, stride: Int, rows: Int, columns: Int)
  {
    guard case .ints(let strides)? = node.attribute("strides"), strides.count == 2, strides[0] == strides[1],
      strides[0] > 0,
      strides[0] <= InputContract.maxSide
    else {
      throw GraphError("needs two equal positive strides of at most \(InputContract.maxSide)")
    }
    let pads: [Int]
    switch node.attribute("pads") {
    case nil: pads = [0, 0, 0, 0]
    case .ints(let given)? where given.count == 4: pads = given
    default: throw GraphError("pads must be four numbers")
    }
    if case .ints(let size)? = node.attribute("kernel_shape"), size != kernel {
      throw GraphError("kernel_shape \(size) does not match the kernel \(kernel)")
    }
    for padding in [Padding.same, .valid] {
      let rows = padding.window(input: input[2], kernel: kernel[0], stride: strides[0])
      let columns = padding.window(input: input[3], kernel: kernel[1], stride: strides[1])
      if pads == [rows.before, columns.before, rows.after, columns.after], rows.output > 0, columns.output > 0 {
        return (padding, strides[0], rows.output, columns.output)
      }
    }
    throw GraphError("pads \(pads) are neither SAME's (extra at the end) nor none")
  }

  private func int(_ node: ONNXNode, _ name: String, default fallback: Int? = nil) throws -> Int {
    switch node.attribute(name) {
    case .int(let value)?: return value
    case nil: if let fallback { return fallback }
    default: break
    }
    throw GraphError("needs an integer '\(name)'")
  }

  private func float(_ node: ONNXNode, _ name: String, default fallback: Float) throws -> Float {
    switch node.attribute(name) {
    case .float(let value)?: return value
    case nil: return fallback
    default: throw GraphError("'\(name)' must be a float")
    }
  }

  /// Normalisations compute their statistics in float32 (`stash_type` 1, the default).
  private func stashType(_ node: ONNXNode) throws {
    guard try int(node, "stash_type", default: 1) == 1 else { throw GraphError("stash_type must be 1 (float32)") }
  }

  private static func axis(_ node: ONNXNode, rank: Int, default fallback: Int) throws -> Int {
    let axis: Int
    switch node.attribute("axis") {
    case .int(let value)?: axis = value
    case nil: axis = fallback
    default: throw GraphError("'axis' must be an integer")
    }
    guard axis >= -rank, axis < rank else { throw GraphError("axis \(axis) is outside rank \(rank)") }
    return axis < 0 ? axis + rank : axis
  }

  /// A new name for an intermediate value, distinct from every name in the graph.
  private mutating func temporary() -> String {
    while true {
      serial += 1
      let name = "#\(serial)"
      if !names.contains(name) { return name }
    }
  }

  /// The shape a Reshape's `spec` gives `shape` (`0` copies a dimension, one `-1` is
  /// inferred); the batch must stay first.
  private static func reshaped(_ shape: [Int], _ spec: [Int]) throws -> [Int] {
    guard spec.filter({ $0 == -1 }).count <= 1, spec.allSatisfy({ $0 >= -1 }) else {
      throw GraphError("shape \(spec) has more than one -1 or a negative size")
    }
    var result = try spec.enumerated().map { axis, size in
      guard size == 0 else { return size }
      guard axis < shape.count else {
        throw GraphError("shape \(spec) copies axis \(axis) of a rank-\(shape.count) value")
      }
      return shape[axis]
    }
    let batched = shape.first == -1
    guard !batched || result.first == -1 else { throw GraphError("shape \(spec) does not keep the batch first") }
    let known = try checkedProduct(result.dropFirst(batched ? 1 : 0).filter { $0 != -1 })
    let total = try checkedProduct(shape.dropFirst(batched ? 1 : 0))
    if let free = result.indices.dropFirst(batched ? 1 : 0).first(where: { result[$0] == -1 }) {
      guard known > 0, total % known == 0 else { throw GraphError("cannot reshape \(shape) to \(spec)") }
      result[free] = total / known
    } else {
      guard known == total else { throw GraphError("cannot reshape \(shape) to \(spec)") }
    }
    return result
  }

  /// Refuses a value of more than ``ExportHeader/maxTensorElements`` elements per image; and
  /// constants folded now (from `folding`, all constant) that grow past their inputs by more
  /// than ``maxFoldedGrowth`` elements in all: no file can make compiling or running allocate
  /// without bound.
  private mutating func checkBounded(_ shape: [Int], folding inputs: [Value] = []) throws {
    let perImage = shape.first == -1 ? Array(shape.dropFirst()) : shape
    guard perImage.allSatisfy({ $0 >= 0 }), let count = ExportHeader.elementCount(perImage),
      count <= ExportHeader.maxTensorElements
    else { throw GraphError("computes \(shape), more than \(ExportHeader.maxTensorElements) elements per image") }
    let folded = inputs.compactMap { value -> Int? in
      if case .floats(let tensor) = value { return tensor.scalars.count } else { return nil }
    }
    if !inputs.isEmpty, folded.count == inputs.count, let largest = folded.max(), count > largest {
      foldedGrowth += count
      guard foldedGrowth <= Self.maxFoldedGrowth else {
        throw GraphError("folds constants into \(shape): more than \(Self.maxFoldedGrowth) elements beyond the weights")
      }
    }
  }

  /// The most elements constant folding may add beyond the weights it reads (a class token
  /// padded to the sequence's length is what mixer-convert writes): 2^27, 512 MiB of float32,
  /// which holds that of every released ViT at the largest input side (ViT-H/14 at 4096 px:
  /// 85,265 positions of 1,280).
  static let maxFoldedGrowth = 1 << 27

  /// The product of sizes, refusing one that overflows.
  private static func checkedProduct<S: Sequence<Int>>(_ sizes: S) throws -> Int {
    guard let product = ExportHeader.elementCount(Array(sizes)) else { throw GraphError("a shape's size overflows") }
    return product
  }

  /// The value of a `Constant` node's tensor: float32 or int64, stored in the node.
  private static func constant(_ tensor: ONNXTensor) throws -> Value {
    guard tensor.dims.allSatisfy({ $0 >= 0 }) else { throw GraphError("a constant has a negative dimension") }
    let count = try checkedProduct(tensor.dims)
    guard count <= 1 << 20 else {
      throw GraphError("a constant of \(count) elements is larger than mixer-convert writes")
    }
    switch (ONNXProto.DataType(rawValue: tensor.dataType), tensor.data) {
    case (.float, .raw(let bytes)) where bytes.count == 4 * count:
      return .floats(
        Tensor(
          shape: tensor.dims,
          scalars: (0..<count).map {
            Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian)
          }))
    case (.float, .floats(let values)) where values.count == count:
      return .floats(Tensor(shape: tensor.dims, scalars: values))
    case (.int64, .raw(let bytes)) where bytes.count == 8 * count:
      return .integers(
        shape: tensor.dims,
        values: (0..<count).map {
          Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)))
        })
    case (.int64, .int64s(let values)) where values.count == count:
      return .integers(shape: tensor.dims, values: values)
    default:
      throw GraphError("a constant must be float32 or int64 values stored in the node, \(count) of them")
    }
  }
}
