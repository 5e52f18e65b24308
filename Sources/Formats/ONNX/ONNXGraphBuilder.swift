import Checkpoint
import Graph
import LayerAttributes

/// Translates a canonical graph into ONNX nodes of the default domain at ``ONNXLayout/opset``,
/// one canonical operation at a time (formats/onnx-layout.md has the table).
///
/// The canonical graph is NHWC; ONNX's convolution, GroupNorm and pooling are NCHW. Every
/// value carries its layout, and a `Transpose` is inserted only where an operation needs the
/// other one, so a ResNet stem stays NCHW from its first convolution to its last unit.
/// Initializers keep their canonical names, shapes and layouts; what ONNX needs differently (an
/// OIHW convolution kernel, a 2-D attention projection) is derived in the graph, which
/// runtimes fold into constants when they load it. A float16 or bfloat16 initializer is
/// `Cast` to float32 first, so all arithmetic is float32.
struct ONNXGraphBuilder {
  private enum Layout { case canonical, channelsFirst }

  private(set) var nodes: [ONNXNodeSpec] = []
  private var layouts: [String: Layout] = [:]
  private var shapes: [String: [Int]] = [:]
  /// Canonical node → the ONNX value holding its result.
  private var results: [String: String] = [:]
  /// Values derived once and reused (a weight cast to float32, a value transposed).
  private var derived: [String: String] = [:]
  private var nodeNames: Set<String> = []
  private let dtype: DType
  private let weightShapes: [String: [Int]]
  /// Canonical node → the name of the output it is.
  private let outputNames: [String: String]

  /// Translates `nodes`, whose weights have `weightShapes`, reading `input`; the values of
  /// the nodes `outputs` name get the outputs' names.
  init(
    nodes canonical: [Node], input: InputContract, outputs: [GraphOutput], weightShapes: [String: [Int]], dtype: DType
  ) {
    self.dtype = dtype
    self.weightShapes = weightShapes
    outputNames = Dictionary(outputs.map { ($0.node, $0.name) }, uniquingKeysWith: { first, _ in first })
    results[input.name] = input.name
    layouts[input.name] = .canonical
    shapes[input.name] = input.shape
    for node in canonical { add(node) }
    for output in outputs where layouts[results[output.node]!] != .canonical {
      preconditionFailure("output '\(output.name)' is not in the canonical layout")
    }
  }

  // MARK: - One canonical node

  private mutating func add(_ node: Node) {
    let name = node.name
    // An output's value takes the output's name; no other value may have it.
    let result = outputNames[name] ?? (outputNames.values.contains(name) ? name + "/value" : name)
    let x = node.inputs.first.map { results[$0]! } ?? ""
    var layout = Layout.canonical
    switch node.operation {
    case .conv2D(let conv):
      var kernel = emit(
        name, .transpose, [weight(node, "kernel")], [name + "/kernel_oihw"], [("perm", .ints([3, 2, 0, 1]))])
      if let standardization = conv.weightStandardization {
        kernel = standardize(kernel, epsilon: standardization.epsilon, name)
      }
      let inputShape = shapes[x]!
      let (rows, columns) = (
        conv.padding.window(input: inputShape[1], kernel: conv.kernelSize[0], stride: conv.strides[0]),
        conv.padding.window(input: inputShape[2], kernel: conv.kernelSize[1], stride: conv.strides[1])
      )
      let bias = node.weights["bias"] == nil ? [] : [weight(node, "bias")]
      emit(
        name, .conv, [channelsFirst(x), kernel] + bias, [result],
        [
          ("kernel_shape", .ints(conv.kernelSize)),
          ("pads", .ints([rows.before, columns.before, rows.after, columns.after])),
          ("strides", .ints(conv.strides)),
        ])
      layout = .channelsFirst
    case .reshape(let shape):
      emit(name, .reshape, [canonical(x), constant(name + "/shape", .int64s([0] + shape.dropFirst()))], [result])
    case .layerNorm(let epsilon):
      emit(
        name, .layerNormalization, [canonical(x), weight(node, "scale"), weight(node, "bias")], [result],
        [("axis", .int(-1)), ("epsilon", .float(Float(epsilon)))])
    case .transpose(let permutation):
      emit(name, .transpose, [canonical(x)], [result], [("perm", .ints(permutation))])
    case .dense:
      let bias = node.weights["bias"] == nil ? nil : weight(node, "bias")
      dense(canonical(x), kernel: weight(node, "kernel"), bias: bias, result: result, name)
    case .gelu(let approximation):
      emit(name, .gelu, [x], [result], [("approximate", .string(approximation == .tanh ? "tanh" : "none"))])
      layout = layouts[x]!
    case .add:
      let b = results[node.inputs[1]]!
      let same = layouts[x] == layouts[b]
      emit(name, .add, same ? [x, b] : [canonical(x), canonical(b)], [result])
      layout = same ? layouts[x]! : .canonical
    case .mean(let axis):
      emit(
        name, .reduceMean, [canonical(x), constant(name + "/axes", .int64s([axis]))], [result], [("keepdims", .int(0))])
    case .classToken:
      let sequence = shapes[x]![1]
      let token = emit(
        name, .pad, [weight(node, "token"), constant(name + "/token_pads", .int64s([0, 0, 0, 0, sequence, 0]))],
        [name + "/token_row"])
      let shifted = emit(
        name, .pad, [canonical(x), constant(name + "/pads", .int64s([0, 1, 0, 0, 0, 0]))],
        [name + "/shifted"])
      emit(name, .add, [shifted, token], [result])
    case .positionEmbedding:
      emit(name, .add, [canonical(x), weight(node, "embedding")], [result])
    case .multiHeadAttention(let heads):
      attention(canonical(x), node, heads: heads, result: result)
    case .selectToken(let index):
      emit(
        name, .gather, [canonical(x), constant(name + "/index", .int64s([index], scalar: true))], [result],
        [("axis", .int(1))])
    case .tanh:
      emit(name, .tanh, [x], [result])
      layout = layouts[x]!
    case .relu:
      emit(name, .relu, [x], [result])
      layout = layouts[x]!
    case .groupNorm(let groups, let epsilon):
      emit(
        name, .groupNormalization, [channelsFirst(x), weight(node, "scale"), weight(node, "bias")], [result],
        [("epsilon", .float(Float(epsilon))), ("num_groups", .int(groups))])
      layout = .channelsFirst
    case .maxPool2D(let window, let strides, let padding):
      let inputShape = shapes[x]!
      let (rows, columns) = (
        padding.window(input: inputShape[1], kernel: window[0], stride: strides[0]),
        padding.window(input: inputShape[2], kernel: window[1], stride: strides[1])
      )
      emit(
        name, .maxPool, [channelsFirst(x)], [result],
        [
          ("kernel_shape", .ints(window)), ("pads", .ints([rows.before, columns.before, rows.after, columns.after])),
          ("strides", .ints(strides)),
        ])
      layout = .channelsFirst
    }
    results[name] = result
    layouts[result] = layout
    shapes[result] = node.outputShape
  }

  /// `x · kernel (+ bias)` over the last axis.
  private mutating func dense(_ x: String, kernel: String, bias: String?, result: String, _ name: String) {
    guard let bias else {
      emit(name, .matMul, [x, kernel], [result])
      return
    }
    let product = emit(name, .matMul, [x, kernel], [name + "/product"])
    emit(name, .add, [product, bias], [result])
  }

  /// Multi-head self-attention as Flax computes it: projections, the query divided by √d,
  /// softmax over the keys, the weighted sum, the output projection.
  private mutating func attention(_ x: String, _ node: Node, heads: Int, result: String) {
    let name = node.name
    let width = weightShapes[node.weights["query_kernel"]!]![0]
    let headWidth = width / heads
    func projection(_ part: String, _ permutation: [Int]) -> String {
      let kernel = emit(
        name, .reshape,
        [
          weight(node, part + "_kernel"),
          constant(
            name + "/\(part)_kernel_shape",
            .int64s([width, width])),
        ],
        [name + "/\(part)_kernel_2d"])
      let bias = emit(
        name, .reshape, [weight(node, part + "_bias"), constant(name + "/\(part)_bias_shape", .int64s([width]))],
        [name + "/\(part)_bias_1d"])
      dense(x, kernel: kernel, bias: bias, result: name + "/\(part)", name + "/\(part)")
      let split = emit(
        name, .reshape,
        [
          name + "/\(part)",
          constant(
            name + "/\(part)_heads_shape",
            .int64s([0, 0, heads, headWidth])),
        ],
        [name + "/\(part)_heads"])
      return emit(name, .transpose, [split], [name + "/\(part)_by_head"], [("perm", .ints(permutation))])
    }
    let query = emit(
      name, .div,
      [
        projection("query", [0, 2, 1, 3]),
        constant(name + "/scale", .float(Float(headWidth).squareRoot())),
      ], [name + "/query_scaled"])
    let key = projection("key", [0, 2, 3, 1])
    let value = projection("value", [0, 2, 1, 3])
    let scores = emit(name, .matMul, [query, key], [name + "/scores"])
    let weights = emit(name, .softmax, [scores], [name + "/weights"], [("axis", .int(-1))])
    let mixed = emit(name, .matMul, [weights, value], [name + "/mixed"])
    let merged = emit(name, .transpose, [mixed], [name + "/mixed_by_token"], [("perm", .ints([0, 2, 1, 3]))])
    let joined = emit(
      name, .reshape, [merged, constant(name + "/joined_shape", .int64s([0, 0, width]))], [name + "/joined"])
    let out = emit(
      name, .reshape, [weight(node, "out_kernel"), constant(name + "/out_kernel_shape", .int64s([width, width]))],
      [name + "/out_kernel_2d"])
    dense(joined, kernel: out, bias: weight(node, "out_bias"), result: result, name + "/out")
  }

  /// The standardised kernel (OIHW): per output channel, `(w − mean) / (std + ε)` over the
  /// other axes, with the population standard deviation.
  private mutating func standardize(_ kernel: String, epsilon: Double, _ name: String) -> String {
    let axes = constant(name + "/ws_axes", .int64s([1, 2, 3]))
    let mean = emit(name, .reduceMean, [kernel, axes], [name + "/ws_mean"], [("keepdims", .int(1))])
    let centred = emit(name, .sub, [kernel, mean], [name + "/ws_centred"])
    let squares = emit(name, .mul, [centred, centred], [name + "/ws_squares"])
    let variance = emit(name, .reduceMean, [squares, axes], [name + "/ws_variance"], [("keepdims", .int(1))])
    let deviation = emit(name, .sqrt, [variance], [name + "/ws_std"])
    let denominator = emit(
      name, .add, [deviation, constant(name + "/ws_epsilon", .float(Float(epsilon)))],
      [name + "/ws_denominator"])
    return emit(name, .div, [centred, denominator], [name + "/kernel_standardized"])
  }

  // MARK: - Values

  /// The float32 value of a node's weight: the initializer itself, or its `Cast`.
  private mutating func weight(_ node: Node, _ role: String) -> String {
    let tensor = node.weights[role]!
    guard dtype != .float32 else { return tensor }
    if let cast = derived[tensor] { return cast }
    let cast = emit(tensor, .cast, [tensor], [tensor + "/float32"], [("to", .int(ONNXProto.DataType.float.rawValue))])
    derived[tensor] = cast
    return cast
  }

  /// `value` in NHWC order (the canonical layout).
  private mutating func canonical(_ value: String) -> String {
    guard layouts[value] == .channelsFirst else { return value }
    return transposed(value, suffix: "/nhwc", permutation: [0, 2, 3, 1], layout: .canonical)
  }

  /// `value` in NCHW order.
  private mutating func channelsFirst(_ value: String) -> String {
    guard layouts[value] == .canonical else { return value }
    return transposed(value, suffix: "/nchw", permutation: [0, 3, 1, 2], layout: .channelsFirst)
  }

  private mutating func transposed(_ value: String, suffix: String, permutation: [Int], layout: Layout) -> String {
    if let done = derived[value + suffix] { return done }
    let out = emit(value, .transpose, [value], [value + suffix], [("perm", .ints(permutation))])
    derived[value + suffix] = out
    layouts[out] = layout
    shapes[out] = shapes[value]
    return out
  }

  /// A `Constant` node holding `tensor`; returns its value name.
  private mutating func constant(_ value: String, _ tensor: ONNXEncodedTensor) -> String {
    emit(value, .constant, [], [value], [("value", .tensor(tensor))])
  }

  /// Appends a node named after `owner` and returns its first output.
  @discardableResult
  private mutating func emit(
    _ owner: String, _ operation: ONNXOperator, _ inputs: [String], _ outputs: [String],
    _ attributes: [(name: String, value: ONNXAttributeSpec)] = []
  ) -> String {
    var name = owner + "/" + operation.rawValue
    var serial = 2
    while nodeNames.contains(name) {
      name = owner + "/" + operation.rawValue + "_\(serial)"
      serial += 1
    }
    nodeNames.insert(name)
    nodes.append(
      ONNXNodeSpec(name: name, opType: operation.rawValue, inputs: inputs, outputs: outputs, attributes: attributes))
    return outputs[0]
  }
}
