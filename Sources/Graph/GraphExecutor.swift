import Kernels

/// Runs a canonical graph on the kernels.
///
/// The executor knows only the graph and the weights by canonical name; nothing of the
/// checkpoint the bundle came from. It compiles the graph once (``ExecutionPlan``: weights
/// packed for the kernel path, neighbouring nodes fused) and releases intermediate values
/// after their last use.
public final class GraphExecutor: Sendable {
  /// The graph being run (validated).
  public let graph: GraphDocument
  /// Kernel path and threads.
  public let compute: Compute
  private let plan: ExecutionPlan

  /// Prepares a graph with its weights (float32, canonical names and shapes).
  ///
  /// - Throws: ``GraphError`` if the graph is invalid or a weight is missing or misshapen.
  public init(graph: GraphDocument, weights: [String: Tensor], compute: Compute = Compute()) throws {
    try graph.validate()
    for (name, entry) in graph.weights.tensors {
      guard let tensor = weights[name] else { throw GraphError("weight '\(name)' was not loaded") }
      guard tensor.shape == entry.shape else {
        throw GraphError("weight '\(name)' has shape \(tensor.shape), the manifest says \(entry.shape)")
      }
    }
    self.graph = graph
    self.compute = compute
    plan = ExecutionPlan(graph: graph, weights: weights, compute: compute)
  }

  /// Runs the graph on an NHWC batch and returns every output by name.
  ///
  /// - Throws: ``GraphError`` if the input does not have the contract's shape.
  public func run(_ input: Tensor) throws -> [String: Tensor] {
    let expected = graph.input.shape
    guard input.rank == 4, input.shape[0] > 0, Array(input.shape.dropFirst()) == Array(expected.dropFirst()) else {
      throw GraphError("input has shape \(input.shape); the graph takes [batch, \(expected[1]), \(expected[2]), \(expected[3])]")
    }
    var values: [String: Tensor] = [graph.input.name: input]
    for (index, step) in plan.steps.enumerated() {
      let result = evaluate(step, &values)
      for name in step.inputs where plan.lastUse[name] == index { values[name] = nil }
      values[step.output] = result
    }
    var outputs: [String: Tensor] = [:]
    for output in graph.outputs { outputs[output.name] = values[output.node] }
    return outputs
  }

  private func evaluate(_ step: Step, _ values: inout [String: Tensor]) -> Tensor {
    switch step {
    case .conv2D(_, let input, let kernel, let size, let bias, let stride, let padding):
      return compute.conv2d(values[input]!, packedKernel: kernel, kernelSize: size, bias: bias, stride: stride,
                            padding: padding)
    case .reshape(_, let input, let shape):
      let x = values[input]!
      return x.reshaped([x.shape[0]] + shape.dropFirst())
    case .layerNorm(_, let input, let scale, let bias, let epsilon):
      return compute.layerNorm(values[input]!, scale: scale, bias: bias, epsilon: epsilon)
    case .transpose(_, let input, let permutation):
      return compute.permute(values[input]!, permutation)
    case .dense(_, let input, let transposed, let kernel, let bias, let gelu, let onto):
      let x = values[input]!
      var target = onto.map { values.removeValue(forKey: $0)! }
      return dense(x, transposed: transposed, kernel: kernel, bias: bias, gelu: gelu, onto: &target)
    case .gelu(_, let input, let approximation):
      return compute.gelu(values[input]!, approximation: approximation)
    case .add(_, let a, let b):
      return compute.add(values[a]!, values[b]!)
    case .addTransposed(_, let a, let b):
      var target = values.removeValue(forKey: a)!
      compute.addTransposed(values[b]!, into: &target)
      return target
    case .mean(_, let input, let axis):
      return compute.mean(values[input]!, axis: axis)
    case .classToken(_, let input, let token):
      return compute.prependToken(values[input]!, token: token)
    case .positionEmbedding(_, let input, let embedding):
      return compute.addToEverySample(values[input]!, embedding)
    case .attention(_, let input, let qkv, let qkvBias, let out, let outBias, let heads, let onto):
      let x = values[input]!
      var nothing: Tensor?
      var projected = dense(x, transposed: false, kernel: qkv, bias: qkvBias, gelu: false, onto: &nothing)
      let attended = compute.attention(fused: &projected, heads: heads)
      var target = onto.map { values.removeValue(forKey: $0)! }
      return dense(attended, transposed: false, kernel: out, bias: outBias, gelu: false, onto: &target)
    case .selectToken(_, let input, let index):
      return compute.selectToken(values[input]!, index: index)
    case .tanh(_, let input):
      return compute.tanh(values[input]!)
    case .relu(_, let input):
      return compute.relu(values[input]!)
    case .groupNorm(_, let input, let scale, let bias, let groups, let epsilon, let relu):
      let y = compute.groupNorm(values[input]!, groups: groups, scale: scale, bias: bias, epsilon: epsilon)
      return relu ? compute.relu(y) : y
    case .maxPool(_, let input, let window, let stride, let padding):
      return compute.maxPool(values[input]!, window: window, stride: stride, padding: padding)
    }
  }

  /// A Dense step: per sample when the input is read transposed; into `onto` when given.
  private func dense(_ x: Tensor, transposed: Bool, kernel: PackedMatrix, bias: Tensor?, gelu: Bool,
                     onto: inout Tensor?) -> Tensor {
    // Rows of the product per sample and the view of one sample's input.
    let samples = transposed ? x.shape[0] : 1
    let rows = transposed ? x.shape[2] : x.count / kernel.rows
    let shape = transposed ? [x.shape[0], x.shape[2], kernel.columns] : x.shape.dropLast() + [kernel.columns]
    var out = onto ?? Tensor(shape: shape, unsafeUninitialized: { _ in })
    precondition(out.shape == shape, "dense: accumulating into \(out.shape), product is \(shape)")
    out.scalars.withUnsafeMutableBufferPointer { po in
      x.scalars.withUnsafeBufferPointer { px in
        withOptionalPointer(bias) { pb in
        for sample in 0..<samples {
          let a = transposed
            ? MatrixView(px.baseAddress! + sample * x.shape[1] * x.shape[2], rows: rows, columns: kernel.rows,
                         rowStride: 1, columnStride: x.shape[2])
            : MatrixView(rowMajor: px.baseAddress!, rows: rows, columns: kernel.rows)
          compute.gemm(a, kernel, into: MutableMatrixView(po.baseAddress! + sample * rows * kernel.columns, rows: rows,
                                                          columns: kernel.columns),
                       accumulate: onto != nil, bias: pb, gelu: gelu)
        }
        }
      }
    }
    return out
  }
}
