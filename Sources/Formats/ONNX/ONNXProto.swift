/// The part of the ONNX protobuf schema (onnx/onnx.proto, IR version 10) that mixer-convert
/// writes and reads, as Swift values with their encoding and decoding. Field numbers are the
/// schema's; fields outside this part are skipped when read.
enum ONNXProto {
  /// `TensorProto.DataType` values used here.
  enum DataType: Int, Sendable {
    case float = 1
    case int64 = 7
    case float16 = 10
    case bfloat16 = 16
  }
}

/// `TensorShapeProto.Dimension`: a fixed size or a named symbol.
enum ONNXDimension: Equatable, Sendable {
  case value(Int)
  case parameter(String)
}

/// `ValueInfoProto` of a tensor: name, element type and shape.
struct ONNXValueInfo: Equatable, Sendable {
  var name: String
  var elementType: Int
  var shape: [ONNXDimension]
}

/// Where a `TensorProto`'s bytes are.
enum ONNXTensorData {
  /// `raw_data`: little-endian elements, C order.
  case raw(UnsafeRawBufferPointer)
  /// `int64_data`.
  case int64s([Int])
  /// `float_data`.
  case floats([Float])
  /// `data_location = EXTERNAL`: `length` bytes at `offset` of the file `location`, relative
  /// to the model file.
  case external(location: String, offset: Int, length: Int)
  /// No data field: an empty tensor, or a tensor whose data is missing.
  case none
}

/// `TensorProto`, as read.
struct ONNXTensor {
  var name: String
  var dataType: Int
  var dims: [Int]
  var data: ONNXTensorData
}

/// `AttributeProto`, as read or written.
enum ONNXAttributeValue {
  case float(Float)
  case int(Int)
  case string(String)
  case tensor(ONNXTensor)
  case ints([Int])
}

/// `NodeProto`.
struct ONNXNode {
  var name: String
  var opType: String
  var domain: String
  var inputs: [String]
  var outputs: [String]
  var attributes: [(name: String, value: ONNXAttributeValue)]

  /// The attribute `name`, if given.
  func attribute(_ name: String) -> ONNXAttributeValue? { attributes.first { $0.name == name }?.value }
}

/// `GraphProto`.
struct ONNXGraph {
  var name: String
  var nodes: [ONNXNode]
  var initializers: [ONNXTensor]
  var inputs: [ONNXValueInfo]
  var outputs: [ONNXValueInfo]
}

/// `ModelProto`.
struct ONNXModel {
  var irVersion: Int
  var opsets: [(domain: String, version: Int)]
  var producerName: String
  var producerVersion: String
  var graph: ONNXGraph
  var metadata: [(key: String, value: String)]
}

// MARK: - Encoding

extension ONNXValueInfo {
  var encoded: ProtobufEncoder {
    var shapeMessage = ProtobufEncoder()
    for dimension in shape {
      var dim = ProtobufEncoder()
      switch dimension {
      case .value(let size): dim.int(1, size)
      case .parameter(let name): dim.string(2, name)
      }
      shapeMessage.message(1, dim)
    }
    var tensorType = ProtobufEncoder()
    tensorType.int(1, elementType)
    tensorType.message(2, shapeMessage)
    var type = ProtobufEncoder()
    type.message(1, tensorType)
    var info = ProtobufEncoder()
    info.string(1, name)
    info.message(2, type)
    return info
  }
}

/// The encoding of small tensors held in memory: `Constant` values.
struct ONNXEncodedTensor {
  var name: String
  var dataType: ONNXProto.DataType
  var dims: [Int]
  var raw: [UInt8]

  var encoded: ProtobufEncoder {
    var tensor = ProtobufEncoder()
    for dim in dims { tensor.int(1, dim) }
    tensor.int(2, dataType.rawValue)
    if !name.isEmpty { tensor.string(8, name) }
    tensor.data(9, raw)
    return tensor
  }

  /// A rank-1 int64 tensor (shapes, axes, pads).
  static func int64s(_ values: [Int], scalar: Bool = false) -> ONNXEncodedTensor {
    var raw: [UInt8] = []
    for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { raw += $0 } }
    return ONNXEncodedTensor(name: "", dataType: .int64, dims: scalar ? [] : [values.count], raw: raw)
  }

  /// A float32 scalar.
  static func float(_ value: Float) -> ONNXEncodedTensor {
    var raw: [UInt8] = []
    withUnsafeBytes(of: value.bitPattern.littleEndian) { raw += $0 }
    return ONNXEncodedTensor(name: "", dataType: .float, dims: [], raw: raw)
  }
}

/// A node as written: attributes are encoded values.
struct ONNXNodeSpec {
  var name: String
  var opType: String
  var inputs: [String]
  var outputs: [String]
  var attributes: [(name: String, value: ONNXAttributeSpec)] = []

  var encoded: ProtobufEncoder {
    var node = ProtobufEncoder()
    for input in inputs { node.string(1, input) }
    for output in outputs { node.string(2, output) }
    node.string(3, name)
    node.string(4, opType)
    for (attributeName, value) in attributes {
      var attribute = ProtobufEncoder()
      attribute.string(1, attributeName)
      switch value {
      case .float(let f): attribute.float(2, f)
      case .int(let i): attribute.int(3, i)
      case .string(let s): attribute.string(4, s)
      case .tensor(let t): attribute.message(5, t.encoded)
      case .ints(let list): for i in list { attribute.int(8, i) }
      }
      attribute.int(20, value.typeNumber)
      node.message(5, attribute)
    }
    return node
  }
}

/// An attribute value as written.
enum ONNXAttributeSpec {
  case float(Float)
  case int(Int)
  case string(String)
  case tensor(ONNXEncodedTensor)
  case ints([Int])

  /// `AttributeProto.AttributeType`.
  var typeNumber: Int {
    switch self {
    case .float: 1
    case .int: 2
    case .string: 3
    case .tensor: 4
    case .ints: 7
    }
  }
}
