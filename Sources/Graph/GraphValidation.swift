import LayerAttributes

extension ExportHeader {
  /// Checks what an export header must hold whatever the graph: an image input
  /// `[-1, height, width, 3]` of at most ``InputContract/maxSide`` pixels a side, at least one
  /// output, an element type an export may store, and weights of at most
  /// ``maxTensorElements`` elements.
  ///
  /// - Throws: ``GraphError`` naming the first problem.
  public func validate() throws {
    guard input.shape.count == 4, input.shape[0] == -1, input.shape[3] == 3, input.shape[1] > 0, input.shape[2] > 0
    else {
      throw GraphError("input shape \(input.shape) is not [-1, height, width, 3]")
    }
    guard input.shape[1] <= InputContract.maxSide, input.shape[2] <= InputContract.maxSide else {
      throw GraphError("input shape \(input.shape) is larger than \(InputContract.maxSide) pixels a side")
    }
    guard !outputs.isEmpty else { throw GraphError("the graph has no outputs") }
    guard weights.itemSize != nil else {
      throw GraphError("weight dtype '\(weights.dtype)' is not float32, float16 or bfloat16")
    }
    for (name, entry) in weights.tensors.sorted(by: { $0.key < $1.key }) {
      guard entry.shape.allSatisfy({ $0 >= 0 }), let count = Self.elementCount(entry.shape),
        count <= Self.maxTensorElements
      else {
        throw GraphError(
          "weight '\(name)' has shape \(entry.shape), more than \(Self.maxTensorElements) elements or negative")
      }
    }
  }

  /// The most elements one weight may have (2^34, 64 GiB of float32): far above any model's
  /// largest tensor, far below what overflows a byte count.
  public static let maxTensorElements = 1 << 34

  /// The number of elements of `shape`, or nil when the product overflows.
  public static func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for size in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      guard !overflow else { return nil }
      count = product
    }
    return count
  }
}

extension GraphDocument {
  /// Checks that the graph is well formed and consistent with its header: format version,
  /// unique names, inputs defined before use, weight roles and references, every weight used,
  /// and, by shape inference from the input contract, every recorded output shape and every
  /// weight shape. Every size is bounded (see ``ExportHeader/validate()``; no node computes
  /// more than ``ExportHeader/maxTensorElements`` elements per image), so no arithmetic on the
  /// shapes of a validated graph can overflow.
  ///
  /// - Throws: ``GraphError`` naming the first problem.
  public func validate() throws {
    guard format == Self.formatName else { throw GraphError("not a mixer-convert bundle (format '\(format)')") }
    guard formatVersion.split(separator: ".").first == Self.formatVersion.split(separator: ".").first else {
      throw GraphError(
        "bundle format version \(formatVersion) is not supported (this reader knows \(Self.formatVersion))")
    }
    try header.validate()
    let (input, outputs, weights) = (header.input, header.outputs, header.weights)
    var shapes: [String: [Int]] = [input.name: input.shape]
    var used: Set<String> = []
    for node in nodes {
      guard !node.name.isEmpty, !node.name.contains("/") else {
        throw GraphError("node name '\(node.name)' is empty or contains '/'")
      }
      guard shapes[node.name] == nil else { throw GraphError("node '\(node.name)' is defined twice") }
      guard node.inputs.count == node.operation.arity else {
        throw GraphError("node '\(node.name)': \(node.operation.name) takes \(node.operation.arity) input(s)")
      }
      let inputShapes = try node.inputs.map { name in
        guard let shape = shapes[name] else {
          throw GraphError("node '\(node.name)' reads '\(name)', which is not computed before it")
        }
        return shape
      }
      let roles = node.operation.weightRoles
      for role in roles.required where node.weights[role] == nil {
        throw GraphError("node '\(node.name)': \(node.operation.name) needs a '\(role)' weight")
      }
      var weightShapes: [String: [Int]] = [:]
      for (role, tensor) in node.weights {
        guard roles.required.contains(role) || roles.optional.contains(role) else {
          throw GraphError("node '\(node.name)': \(node.operation.name) takes no '\(role)' weight")
        }
        guard let entry = weights.tensors[tensor] else {
          throw GraphError("node '\(node.name)' uses weight '\(tensor)', which the manifest does not list")
        }
        weightShapes[role] = entry.shape
        used.insert(tensor)
      }
      let shape = try ShapeInference.output(of: node, inputs: inputShapes, weights: weightShapes)
      guard let count = ExportHeader.elementCount(Array(shape.dropFirst())), count <= ExportHeader.maxTensorElements
      else {
        throw GraphError(
          "node '\(node.name)' computes \(shape), more than \(ExportHeader.maxTensorElements) elements per image")
      }
      guard shape == node.outputShape else {
        throw GraphError("node '\(node.name)' records output shape \(node.outputShape) but computes \(shape)")
      }
      shapes[node.name] = shape
    }
    for output in outputs {
      guard let shape = shapes[output.node], output.node != input.name else {
        throw GraphError("output '\(output.name)' names unknown node '\(output.node)'")
      }
      guard shape == output.shape else {
        throw GraphError(
          "output '\(output.name)' records shape \(output.shape) but node '\(output.node)' computes \(shape)")
      }
    }
    if let unused = weights.tensors.keys.sorted().first(where: { !used.contains($0) }) {
      throw GraphError("weight '\(unused)' is not used by any node")
    }
  }
}

/// Output shapes of operations, with `-1` as the batch dimension.
enum ShapeInference {
  static func output(of node: Node, inputs: [[Int]], weights: [String: [Int]]) throws -> [Int] {
    let x = inputs[0]
    func fail(_ why: String) -> GraphError { GraphError("node '\(node.name)' (\(node.operation.name)): \(why)") }
    switch node.operation {
    case .conv2D(let conv):
      guard x.count == 4, let kernel = weights["kernel"], kernel.count == 4 else {
        throw fail("needs an NHWC input and an HWIO kernel")
      }
      guard conv.kernelSize == [kernel[0], kernel[1]], kernel[2] == x[3] else {
        throw fail("kernel \(kernel) does not match kernel_size \(conv.kernelSize) and \(x[3]) input channels")
      }
      guard conv.strides.count == 2, conv.strides[0] == conv.strides[1], conv.strides[0] > 0 else {
        throw fail("strides must be two equal positive numbers")
      }
      guard (kernel[0...1] + conv.strides).allSatisfy({ $0 <= InputContract.maxSide }) else {
        throw fail("kernel \(kernel) or strides \(conv.strides) exceed \(InputContract.maxSide)")
      }
      if let bias = weights["bias"], bias != [kernel[3]] {
        throw fail("bias \(bias) does not match \(kernel[3]) outputs")
      }
      let rows = conv.padding.window(input: x[1], kernel: kernel[0], stride: conv.strides[0]).output
      let cols = conv.padding.window(input: x[2], kernel: kernel[1], stride: conv.strides[1]).output
      guard rows > 0, cols > 0 else { throw fail("input \(x) is smaller than the kernel") }
      return [x[0], rows, cols, kernel[3]]
    case .reshape(let shape):
      guard shape.first == -1, shape.dropFirst().allSatisfy({ $0 > 0 }) else {
        throw fail("shape must be [-1, positive dimensions…]")
      }
      guard let count = ExportHeader.elementCount(Array(shape.dropFirst())),
        count == ExportHeader.elementCount(Array(x.dropFirst()))
      else {
        throw fail("cannot reshape \(x) to \(shape)")
      }
      return shape
    case .layerNorm(let epsilon):
      guard epsilon > 0, epsilon.isFinite else { throw fail("epsilon \(epsilon) must be positive and finite") }
      guard let width = x.last, weights["scale"] == [width], weights["bias"] == [width] else {
        throw fail("scale and bias must have shape [\(x.last ?? 0)]")
      }
      return x
    case .transpose(let permutation):
      guard permutation.sorted() == Array(0..<x.count), permutation.first == 0 else {
        throw fail("permutation \(permutation) must reorder the \(x.count) axes and keep the batch first")
      }
      return permutation.map { x[$0] }
    case .dense:
      guard let kernel = weights["kernel"], kernel.count == 2, kernel[0] == x.last else {
        throw fail("kernel \(weights["kernel"] ?? []) does not take inputs of width \(x.last ?? 0)")
      }
      if let bias = weights["bias"], bias != [kernel[1]] {
        throw fail("bias \(bias) does not match \(kernel[1]) outputs")
      }
      return x.dropLast() + [kernel[1]]
    case .gelu:
      return x
    case .add:
      guard inputs[1] == x else { throw fail("inputs have different shapes \(x) and \(inputs[1])") }
      return x
    case .mean(let axis):
      guard axis > 0, axis < x.count else { throw fail("axis \(axis) is not a non-batch axis of \(x)") }
      var shape = x
      shape.remove(at: axis)
      return shape
    case .classToken:
      guard x.count == 3, weights["token"] == [1, 1, x[2]] else {
        throw fail("token must be [1, 1, \(x.last ?? 0)] for \(x)")
      }
      return [x[0], x[1] + 1, x[2]]
    case .positionEmbedding:
      guard x.count == 3, weights["embedding"] == [1, x[1], x[2]] else {
        throw fail("embedding \(weights["embedding"] ?? []) does not match the sequence \(x)")
      }
      return x
    case .multiHeadAttention(let heads):
      guard x.count == 3, heads > 0, x[2] % heads == 0 else {
        throw fail("\(heads) heads do not divide the width of \(x)")
      }
      let (d, width) = (x[2], x[2] / heads)
      let expected = [
        "query_kernel": [d, heads, width], "query_bias": [heads, width], "key_kernel": [d, heads, width],
        "key_bias": [heads, width], "value_kernel": [d, heads, width], "value_bias": [heads, width],
        "out_kernel": [heads, width, d], "out_bias": [d],
      ]
      for (role, shape) in expected where weights[role] != shape {
        throw fail("\(role) is \(weights[role] ?? []), expected \(shape)")
      }
      return x
    case .selectToken(let index):
      guard x.count == 3, index >= 0, index < x[1] else { throw fail("index \(index) is outside the sequence \(x)") }
      return [x[0], x[2]]
    case .tanh, .relu:
      return x
    case .groupNorm(let groups, let epsilon):
      guard epsilon > 0, epsilon.isFinite else { throw fail("epsilon \(epsilon) must be positive and finite") }
      guard x.count == 4, groups > 0, x[3] % groups == 0 else {
        throw fail("\(groups) groups do not divide the channels of \(x)")
      }
      guard weights["scale"] == [x[3]], weights["bias"] == [x[3]] else {
        throw fail("scale and bias must have shape [\(x[3])]")
      }
      return x
    case .maxPool2D(let window, let strides, let padding):
      guard x.count == 4, window.count == 2, window[0] == window[1], strides.count == 2, strides[0] == strides[1],
        window[0] > 0, strides[0] > 0, window[0] <= InputContract.maxSide, strides[0] <= InputContract.maxSide
      else { throw fail("window and strides must be square, positive and at most \(InputContract.maxSide)") }
      let rows = padding.window(input: x[1], kernel: window[0], stride: strides[0]).output
      let cols = padding.window(input: x[2], kernel: window[1], stride: strides[1]).output
      guard rows > 0, cols > 0 else { throw fail("input \(x) is smaller than the window") }
      return [x[0], rows, cols, x[3]]
    }
  }
}
