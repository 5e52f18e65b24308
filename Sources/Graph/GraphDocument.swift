/// What every export records about the model it holds, whatever its format: the program that
/// wrote it, the model and its source, the input contract, the outputs and the weight manifest.
/// A bundle's `graph.json` holds it beside the nodes; an ONNX file in its `metadata_props`.
public struct ExportHeader: Codable, Equatable, Sendable {
  /// What wrote the export.
  public var generator: Generator
  /// The model and where it came from.
  public var model: ModelInfo
  /// What the model expects as input.
  public var input: InputContract
  /// Named outputs; the first is the primary one.
  public var outputs: [GraphOutput]
  /// The weights: dtype and every tensor.
  public var weights: WeightManifest
  /// The format-specific options it was written with (nil in exports made before they were
  /// recorded).
  public var formatOptions: ExportOptions?

  public init(
    generator: Generator, model: ModelInfo, input: InputContract, outputs: [GraphOutput],
    weights: WeightManifest, formatOptions: ExportOptions? = nil
  ) {
    self.generator = generator
    self.model = model
    self.input = input
    self.outputs = outputs
    self.weights = weights
    self.formatOptions = formatOptions
  }

  enum CodingKeys: String, CodingKey {
    case generator, model, input, outputs, weights, formatOptions = "format_options"
  }
}

/// The options of an export that belong to its format, each applying to the formats that take
/// it (the others leave it at its default).
public struct ExportOptions: Codable, Equatable, Sendable {
  /// Bundle: largest number of tensor-data bytes per shard (nil: the default, 2 GiB).
  public var shardSize: Int?
  /// HDF5: every dataset stored in chunks, shuffled and gzip-compressed.
  public var compressed = false
  /// ONNX: the weights in a data file beside the model even when they would fit in it.
  public var externalData = false

  public init() {}

  enum CodingKeys: String, CodingKey { case shardSize = "shard_size", compressed, externalData = "external_data" }
}

/// The canonical layer graph of an export with its header: the content of a bundle's
/// `graph.json` and of an HDF5 export's `graph.json` dataset, apart from where each weight is
/// stored, which the format adds. Specified in formats/bundle-v1.md; validated by
/// formats/graph.schema.json. In JSON the header's fields sit beside `format` and `nodes`.
public struct GraphDocument: Equatable, Sendable {
  /// Always ``formatName``.
  public var format: String
  /// `major.minor`; readers accept any minor version of the major they know.
  public var formatVersion: String
  /// The model, its input and outputs, and the weight manifest.
  public var header: ExportHeader
  /// The layers, in an order where every input is computed before it is read.
  public var nodes: [Node]

  public static let formatName = "mixer-convert.bundle"
  /// 1.1 added `format_options`.
  public static let formatVersion = "1.1"

  public init(header: ExportHeader, nodes: [Node]) {
    format = Self.formatName
    formatVersion = Self.formatVersion
    self.header = header
    self.nodes = nodes
  }
}

extension GraphDocument: Codable {
  enum CodingKeys: String, CodingKey {
    case format, formatVersion = "format_version", nodes
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    format = try container.decode(String.self, forKey: .format)
    formatVersion = try container.decode(String.self, forKey: .formatVersion)
    nodes = try container.decode([Node].self, forKey: .nodes)
    header = try ExportHeader(from: decoder)
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(format, forKey: .format)
    try container.encode(formatVersion, forKey: .formatVersion)
    try container.encode(nodes, forKey: .nodes)
    try header.encode(to: encoder)
  }
}

/// The program that wrote an export.
public struct Generator: Codable, Equatable, Sendable {
  public var name: String
  public var version: String
  public init(name: String, version: String) {
    self.name = name
    self.version = version
  }
}

/// The model an export holds.
public struct ModelInfo: Codable, Equatable, Sendable {
  /// `mixer`, `vit` or `hybrid`.
  public var family: String
  /// Display name (`Mixer-B/16`, or `custom Mixer`).
  public var name: String
  /// The upstream configuration name, when the model matches one.
  public var upstreamName: String?
  /// `classification` or `features`.
  public var variant: String
  /// Number of parameters exported.
  public var parameters: Int
  /// Family-specific hyper-parameters (`patch_size`, `hidden_dim`, `classifier`, …).
  public var config: [String: ConfigValue]
  /// The checkpoint the export was converted from.
  public var source: SourceInfo

  public init(
    family: String, name: String, upstreamName: String?, variant: String, parameters: Int,
    config: [String: ConfigValue], source: SourceInfo
  ) {
    self.family = family
    self.name = name
    self.upstreamName = upstreamName
    self.variant = variant
    self.parameters = parameters
    self.config = config
    self.source = source
  }

  enum CodingKeys: String, CodingKey {
    case family, name, upstreamName = "upstream_name", variant, parameters, config, source
  }
}

/// The source checkpoint.
public struct SourceInfo: Codable, Equatable, Sendable {
  /// File name (no folders, so the export does not depend on where it was made).
  public var file: String
  /// Size in bytes.
  public var bytes: Int
  /// SHA-256 of the whole file, lowercase hex.
  public var sha256: String
  /// Key prefix removed from every source name (`""`, `params/`, `opt/target/`).
  public var keyPrefix: String

  public init(file: String, bytes: Int, sha256: String, keyPrefix: String) {
    self.file = file
    self.bytes = bytes
    self.sha256 = sha256
    self.keyPrefix = keyPrefix
  }

  enum CodingKeys: String, CodingKey { case file, bytes, sha256, keyPrefix = "key_prefix" }
}

/// A named output of the graph.
public struct GraphOutput: Codable, Equatable, Sendable {
  /// `logits`, `pre_logits` or `features`.
  public var name: String
  /// The node whose value it is.
  public var node: String
  /// Shape with `-1` for the batch.
  public var shape: [Int]
  /// What the values mean.
  public var description: String

  public init(name: String, node: String, shape: [Int], description: String) {
    self.name = name
    self.node = node
    self.shape = shape
    self.description = description
  }
}

/// A hyper-parameter value in ``ModelInfo/config``: a number, a string or a list of numbers.
public enum ConfigValue: Codable, Equatable, Sendable {
  case int(Int)
  case string(String)
  case ints([Int])

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let value = try? container.decode(Int.self) {
      self = .int(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else {
      self = .ints(try container.decode([Int].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .int(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .ints(let value): try container.encode(value)
    }
  }
}

extension GraphDocument {
  /// Number of nodes per operation (`Dense`: 24).
  public var operationCounts: [String: Int] {
    nodes.reduce(into: [:]) { counts, node in counts[node.operation.name, default: 0] += 1 }
  }
}
