/// Decodes the ONNX messages of ``ONNXProto`` from a file's bytes, which must outlive the
/// result (tensor data is a view into them). Unknown fields are skipped; a known field of the
/// wrong wire type, a malformed varint or a length past the end is an error that says where
/// it is (`graph.node[12].attribute[0]`).
enum ONNXDecoding {
  /// An error and where in the model it is.
  struct Failure: Error {
    let location: String
    let reason: String
  }

  static func model(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> ONNXModel {
    var model = ONNXModel(
      irVersion: 0, opsets: [], producerName: "", producerVersion: "",
      graph: ONNXGraph(name: "", nodes: [], initializers: [], inputs: [], outputs: []), metadata: [])
    var sawGraph = false
    try fields(bytes, at: "model") { field, value, location in
      switch field {
      case 1: model.irVersion = try value.int()
      case 2: model.producerName = try value.string()
      case 3: model.producerVersion = try value.string()
      case 7:
        guard !sawGraph else { throw ProtobufError("has two graphs") }
        sawGraph = true
        model.graph = try graph(try value.data(), at: location + ".graph")
      case 8:
        var opset = (domain: "", version: 0)
        try fields(try value.data(), at: location + ".opset_import") { field, value, _ in
          if field == 1 { opset.domain = try value.string() }
          if field == 2 { opset.version = try value.int() }
        }
        model.opsets.append(opset)
      case 14:
        var entry = (key: "", value: "")
        try fields(try value.data(), at: location + ".metadata_props[\(model.metadata.count)]") { field, value, _ in
          if field == 1 { entry.key = try value.string() }
          if field == 2 { entry.value = try value.string() }
        }
        model.metadata.append(entry)
      default: break
      }
    }
    guard sawGraph else { throw Failure(location: "model", reason: "has no graph") }
    return model
  }

  private static func graph(_ bytes: UnsafeRawBufferPointer, at location: String) throws(Failure) -> ONNXGraph {
    var graph = ONNXGraph(name: "", nodes: [], initializers: [], inputs: [], outputs: [])
    try fields(bytes, at: location) { field, value, location in
      switch field {
      case 1: graph.nodes.append(try node(try value.data(), at: location + ".node[\(graph.nodes.count)]"))
      case 2: graph.name = try value.string()
      case 5:
        graph.initializers.append(
          try tensor(try value.data(), at: location + ".initializer[\(graph.initializers.count)]"))
      case 11: graph.inputs.append(try valueInfo(try value.data(), at: location + ".input[\(graph.inputs.count)]"))
      case 12: graph.outputs.append(try valueInfo(try value.data(), at: location + ".output[\(graph.outputs.count)]"))
      case 15: throw ProtobufError("has sparse initializers, which mixer-convert does not write")
      default: break
      }
    }
    return graph
  }

  private static func node(_ bytes: UnsafeRawBufferPointer, at location: String) throws(Failure) -> ONNXNode {
    var node = ONNXNode(name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [])
    try fields(bytes, at: location) { field, value, location in
      switch field {
      case 1: node.inputs.append(try value.string())
      case 2: node.outputs.append(try value.string())
      case 3: node.name = try value.string()
      case 4: node.opType = try value.string()
      case 5:
        node.attributes.append(try attribute(try value.data(), at: location + ".attribute[\(node.attributes.count)]"))
      case 7: node.domain = try value.string()
      default: break
      }
    }
    return node
  }

  private static func attribute(
    _ bytes: UnsafeRawBufferPointer, at location: String
  ) throws(Failure)
    -> (name: String, value: ONNXAttributeValue)
  {
    var name = ""
    var type = 0
    var (float, int, string): (Float?, Int?, String?) = (nil, nil, nil)
    var tensorValue: ONNXTensor?
    var ints: [Int] = []
    try fields(bytes, at: location) { field, value, location in
      switch field {
      case 1: name = try value.string()
      case 2: float = try value.float()
      case 3: int = try value.int()
      case 4: string = try value.string()
      case 5: tensorValue = try tensor(try value.data(), at: location + ".t")
      case 8: ints += try value.ints()
      case 20: type = try value.int()
      case 6, 7, 9, 10, 11, 14, 15, 21, 22, 23:
        throw ProtobufError("uses an attribute kind (field \(field)) that mixer-convert does not write")
      default: break
      }
    }
    let value: ONNXAttributeValue? =
      switch type {
      case 1: float.map { .float($0) }
      case 2: int.map { .int($0) }
      case 3: string.map { .string($0) }
      case 4: tensorValue.map { .tensor($0) }
      case 7: .ints(ints)
      default: nil
      }
    guard let value else {
      throw Failure(location: location, reason: "attribute '\(name)' has type \(type) or lacks its value")
    }
    return (name, value)
  }

  static func tensor(_ bytes: UnsafeRawBufferPointer, at location: String) throws(Failure) -> ONNXTensor {
    var tensor = ONNXTensor(name: "", dataType: 0, dims: [], data: .none)
    var external: [String: String] = [:]
    var isExternal = false
    var dataFields = 0
    try fields(bytes, at: location) { field, value, location in
      switch field {
      case 1: tensor.dims += try value.ints()
      case 2: tensor.dataType = try value.int()
      case 4:
        let raw = try value.data()
        guard raw.count % 4 == 0 else { throw ProtobufError("float_data is not a whole number of floats") }
        tensor.data = .floats(
          (0..<(raw.count / 4)).map { i in
            Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
          })
        dataFields += 1
      case 7:
        tensor.data = .int64s(try value.ints())
        dataFields += 1
      case 8: tensor.name = try value.string()
      case 9:
        tensor.data = .raw(try value.data())
        dataFields += 1
      case 13:
        var entry = (key: "", value: "")
        try fields(try value.data(), at: location + ".external_data") { field, value, _ in
          if field == 1 { entry.key = try value.string() }
          if field == 2 { entry.value = try value.string() }
        }
        guard external.updateValue(entry.value, forKey: entry.key) == nil else {
          throw ProtobufError("names external_data '\(entry.key)' twice")
        }
      case 14: isExternal = try value.int() == 1
      case 3, 5, 6, 10, 11:
        throw ProtobufError("stores its values in a way mixer-convert does not write (field \(field))")
      default: break
      }
    }
    guard dataFields <= 1 else {
      throw Failure(location: location, reason: "tensor '\(tensor.name)' has its data twice")
    }
    if isExternal {
      guard dataFields == 0, let place = external["location"], let offset = Int(external["offset"] ?? "0"),
        let length = external["length"].flatMap({ Int($0) }), offset >= 0, length >= 0
      else {
        throw Failure(
          location: location, reason: "tensor '\(tensor.name)' has incomplete external_data (location, offset, length)")
      }
      tensor.data = .external(location: place, offset: offset, length: length)
    }
    return tensor
  }

  private static func valueInfo(_ bytes: UnsafeRawBufferPointer, at location: String) throws(Failure) -> ONNXValueInfo {
    var info = ONNXValueInfo(name: "", elementType: 0, shape: [])
    try fields(bytes, at: location) { field, value, location in
      switch field {
      case 1: info.name = try value.string()
      case 2:
        try fields(try value.data(), at: location + ".type") { field, value, location in
          guard field == 1 else { throw ProtobufError("is not a tensor type") }
          try fields(try value.data(), at: location + ".tensor_type") { field, value, location in
            if field == 1 { info.elementType = try value.int() }
            guard field == 2 else { return }
            try fields(try value.data(), at: location + ".shape") { field, value, location in
              guard field == 1 else { return }
              var dimension: ONNXDimension?
              try fields(try value.data(), at: location + ".dim") { field, value, _ in
                if field == 1 { dimension = .value(try value.int()) }
                if field == 2 { dimension = .parameter(try value.string()) }
              }
              guard let dimension else { throw ProtobufError("has a dimension with neither a size nor a name") }
              info.shape.append(dimension)
            }
          }
        }
      default: break
      }
    }
    return info
  }

  /// Calls `body` with every field of the message in `bytes`; a wire-format error becomes a
  /// ``Failure`` at `location`.
  private static func fields(
    _ bytes: UnsafeRawBufferPointer, at location: String,
    _ body: (Int, ProtobufValue, String) throws -> Void
  ) throws(Failure) {
    var decoder = ProtobufDecoder(bytes)
    do {
      while let (field, value) = try decoder.next() { try body(field, value, location) }
    } catch let failure as Failure {
      throw failure
    } catch let error as ProtobufError {
      throw Failure(location: location, reason: error.reason)
    } catch {
      throw Failure(location: location, reason: "\(error)")
    }
  }
}
