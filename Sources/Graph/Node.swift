import LayerAttributes

/// One layer of the canonical graph.
public struct Node: Equatable, Sendable {
  /// Canonical, framework-neutral name (`blocks.3.token_mixing.fc1`); unique in the graph.
  public var name: String
  /// What it computes.
  public var operation: Operation
  /// Names of the nodes (or the graph input) it reads, in order.
  public var inputs: [String]
  /// Weight role (`kernel`, `bias`, `scale`) → tensor name in the weight manifest.
  public var weights: [String: String]
  /// Output shape with `-1` for the batch dimension.
  public var outputShape: [Int]

  public init(
    name: String, operation: Operation, inputs: [String], weights: [String: String] = [:],
    outputShape: [Int]
  ) {
    self.name = name
    self.operation = operation
    self.inputs = inputs
    self.weights = weights
    self.outputShape = outputShape
  }
}

extension Node {
  /// The node's weights in its operation's role order (required roles, then optional ones):
  /// `(role, tensor name)`.
  public var orderedWeights: [(role: String, tensor: String)] {
    let roles = operation.weightRoles
    return (roles.required + roles.optional).compactMap { role in weights[role].map { (role, $0) } }
  }
}

extension Node: Codable {
  private enum Keys: String, CodingKey {
    case name, op, inputs, attributes, weights, outputShape = "output_shape"
  }

  private enum AttributeKeys: String, CodingKey {
    case shape, epsilon, permutation, approximation, axis, kernelSize = "kernel_size", strides, padding
    case weightStandardization = "weight_standardization", heads, index, groups, windowSize = "window_size"
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    name = try container.decode(String.self, forKey: .name)
    inputs = try container.decode([String].self, forKey: .inputs)
    weights = try container.decodeIfPresent([String: String].self, forKey: .weights) ?? [:]
    outputShape = try container.decode([Int].self, forKey: .outputShape)
    let op = try container.decode(String.self, forKey: .op)
    let attributes = try? container.nestedContainer(keyedBy: AttributeKeys.self, forKey: .attributes)
    func required<T: Decodable>(_ type: T.Type, _ key: AttributeKeys) throws -> T {
      guard let attributes else {
        throw DecodingError.keyNotFound(
          Keys.attributes,
          .init(
            codingPath: container.codingPath,
            debugDescription: "\(op) needs attributes"))
      }
      return try attributes.decode(type, forKey: key)
    }
    switch op {
    case "Conv2D":
      operation = .conv2D(
        Conv2DAttributes(
          kernelSize: try required([Int].self, .kernelSize), strides: try required([Int].self, .strides),
          padding: try required(Padding.self, .padding),
          weightStandardization: try attributes?.decodeIfPresent(
            WeightStandardization.self, forKey: .weightStandardization)))
    case "Reshape": operation = .reshape(shape: try required([Int].self, .shape))
    case "LayerNorm": operation = .layerNorm(epsilon: try required(Double.self, .epsilon))
    case "Transpose": operation = .transpose(permutation: try required([Int].self, .permutation))
    case "Dense": operation = .dense
    case "GELU": operation = .gelu(approximation: try required(GELUApproximation.self, .approximation))
    case "Add": operation = .add
    case "Mean": operation = .mean(axis: try required(Int.self, .axis))
    case "ClassToken": operation = .classToken
    case "PositionEmbedding": operation = .positionEmbedding
    case "MultiHeadAttention": operation = .multiHeadAttention(heads: try required(Int.self, .heads))
    case "SelectToken": operation = .selectToken(index: try required(Int.self, .index))
    case "Tanh": operation = .tanh
    case "ReLU": operation = .relu
    case "GroupNorm":
      operation = .groupNorm(groups: try required(Int.self, .groups), epsilon: try required(Double.self, .epsilon))
    case "MaxPool2D":
      operation = .maxPool2D(
        windowSize: try required([Int].self, .windowSize), strides: try required([Int].self, .strides),
        padding: try required(Padding.self, .padding))
    default:
      throw DecodingError.dataCorruptedError(forKey: .op, in: container, debugDescription: "unknown op '\(op)'")
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode(name, forKey: .name)
    try container.encode(operation.name, forKey: .op)
    try container.encode(inputs, forKey: .inputs)
    if !weights.isEmpty { try container.encode(weights, forKey: .weights) }
    try container.encode(outputShape, forKey: .outputShape)
    var attributes = container.nestedContainer(keyedBy: AttributeKeys.self, forKey: .attributes)
    switch operation {
    case .conv2D(let conv):
      try attributes.encode(conv.kernelSize, forKey: .kernelSize)
      try attributes.encode(conv.strides, forKey: .strides)
      try attributes.encode(conv.padding, forKey: .padding)
      try attributes.encodeIfPresent(conv.weightStandardization, forKey: .weightStandardization)
    case .reshape(let shape): try attributes.encode(shape, forKey: .shape)
    case .layerNorm(let epsilon): try attributes.encode(epsilon, forKey: .epsilon)
    case .transpose(let permutation): try attributes.encode(permutation, forKey: .permutation)
    case .gelu(let approximation): try attributes.encode(approximation, forKey: .approximation)
    case .mean(let axis): try attributes.encode(axis, forKey: .axis)
    case .multiHeadAttention(let heads): try attributes.encode(heads, forKey: .heads)
    case .selectToken(let index): try attributes.encode(index, forKey: .index)
    case .groupNorm(let groups, let epsilon):
      try attributes.encode(groups, forKey: .groups)
      try attributes.encode(epsilon, forKey: .epsilon)
    case .maxPool2D(let window, let strides, let padding):
      try attributes.encode(window, forKey: .windowSize)
      try attributes.encode(strides, forKey: .strides)
      try attributes.encode(padding, forKey: .padding)
    case .dense, .add, .classToken, .positionEmbedding, .tanh, .relu: break
    }
  }
}
