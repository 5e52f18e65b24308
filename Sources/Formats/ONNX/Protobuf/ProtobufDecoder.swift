/// A protobuf message that does not follow the wire format, or breaks a limit.
struct ProtobufError: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }
}

/// One field's value as it is on the wire.
enum ProtobufValue {
  /// Wire type 0.
  case varint(UInt64)
  /// Wire type 1.
  case fixed64(UInt64)
  /// Wire type 2: a string, bytes, a nested message or a packed list — a view into the
  /// message's bytes, never copied.
  case lengthDelimited(UnsafeRawBufferPointer)
  /// Wire type 5.
  case fixed32(UInt32)
}

/// Reads the fields of one protobuf message, one after another, from bytes it does not own.
///
/// Every length is checked against what is left of the message before it is used, so a
/// length past the end, a truncated varint or a group (wire types 3 and 4, which ONNX never
/// uses) is an error, never an out-of-bounds read or an allocation.
struct ProtobufDecoder {
  private let bytes: UnsafeRawBufferPointer
  private var position = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// The next field, or nil at the end of the message.
  mutating func next() throws(ProtobufError) -> (field: Int, value: ProtobufValue)? {
    guard position < bytes.count else { return nil }
    let tag = try varint()
    let field = Int(truncatingIfNeeded: tag >> 3)
    guard field > 0, field < 1 << 29 else { throw ProtobufError("field number \(tag >> 3) is out of range") }
    switch tag & 7 {
    case 0: return (field, .varint(try varint()))
    case 1: return (field, .fixed64(try fixed(8)))
    case 2:
      let length = try varint()
      guard length <= UInt64(bytes.count - position) else {
        throw ProtobufError("field \(field) claims \(length) bytes, but only \(bytes.count - position) are left")
      }
      let start = position
      position += Int(length)
      return (field, .lengthDelimited(UnsafeRawBufferPointer(rebasing: bytes[start..<position])))
    case 5: return (field, .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
    default: throw ProtobufError("field \(field) has wire type \(tag & 7), which ONNX does not use")
    }
  }

  private mutating func varint() throws(ProtobufError) -> UInt64 {
    var value: UInt64 = 0
    for shift in stride(from: 0, to: 70, by: 7) {
      guard position < bytes.count else { throw ProtobufError("a varint runs past the end of the message") }
      let byte = bytes[position]
      position += 1
      guard shift < 63 || byte <= 1 else { throw ProtobufError("a varint is longer than 64 bits") }
      value |= UInt64(byte & 0x7F) << UInt64(shift)
      if byte < 0x80 { return value }
    }
    throw ProtobufError("a varint is longer than 10 bytes")
  }

  private mutating func fixed(_ size: Int) throws(ProtobufError) -> UInt64 {
    guard bytes.count - position >= size else {
      throw ProtobufError("a fixed-size value runs past the end of the message")
    }
    var value: UInt64 = 0
    for i in 0..<size { value |= UInt64(bytes[position + i]) << UInt64(8 * i) }
    position += size
    return value
  }
}

extension ProtobufValue {
  /// A varint as a signed 64-bit integer (two's complement, as `int64` fields are encoded).
  func int() throws(ProtobufError) -> Int {
    guard case .varint(let raw) = self else { throw ProtobufError("expected an integer") }
    return Int(Int64(bitPattern: raw))
  }

  /// A `float` field.
  func float() throws(ProtobufError) -> Float {
    guard case .fixed32(let raw) = self else { throw ProtobufError("expected a float") }
    return Float(bitPattern: raw)
  }

  /// A length-delimited field's bytes.
  func data() throws(ProtobufError) -> UnsafeRawBufferPointer {
    guard case .lengthDelimited(let bytes) = self else { throw ProtobufError("expected a length-delimited field") }
    return bytes
  }

  /// A `string` field, which must be UTF-8.
  func string() throws(ProtobufError) -> String {
    guard let text = String(validating: try data(), as: UTF8.self) else { throw ProtobufError("a string is not UTF-8") }
    return text
  }

  /// A repeated `int64` field's values: one varint, or a packed run of them.
  func ints() throws(ProtobufError) -> [Int] {
    switch self {
    case .varint: return [try int()]
    case .lengthDelimited(let bytes):
      var decoder = ProtobufDecoder(bytes)
      var values: [Int] = []
      while let value = try decoder.packedVarint() { values.append(Int(Int64(bitPattern: value))) }
      return values
    default: throw ProtobufError("expected integers")
    }
  }
}

extension ProtobufDecoder {
  /// The next varint of a packed list, or nil at its end.
  mutating func packedVarint() throws(ProtobufError) -> UInt64? {
    guard position < bytes.count else { return nil }
    return try varint()
  }
}
