/// Builds one protobuf message in the binary wire format (protobuf.dev, "Encoding"): fields
/// are written in the order the calls come, each as a tag (field number and wire type) and a
/// value. Only what ONNX files need: varints, 32-bit floats, and length-delimited strings,
/// bytes and nested messages.
struct ProtobufEncoder {
  /// The encoded message so far.
  private(set) var bytes: [UInt8] = []

  /// A varint field (wire type 0): an `int64`, `int32` or enum value. Negative numbers take
  /// ten bytes, as protobuf's two's-complement rule has it.
  mutating func int(_ field: Int, _ value: Int) {
    Self.appendVarint(UInt64(field << 3), to: &bytes)
    Self.appendVarint(UInt64(bitPattern: Int64(value)), to: &bytes)
  }

  /// A `float` field (wire type 5, little-endian IEEE bits).
  mutating func float(_ field: Int, _ value: Float) {
    Self.appendVarint(UInt64(field << 3 | 5), to: &bytes)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// A `string` field (UTF-8).
  mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

  /// A `bytes` field.
  mutating func data(_ field: Int, _ value: [UInt8]) {
    bytes += Self.lengthDelimitedPrefix(field: field, length: value.count)
    bytes += value
  }

  /// A nested message field.
  mutating func message(_ field: Int, _ value: ProtobufEncoder) { data(field, value.bytes) }

  /// Appends bytes that are already an encoded field (or several).
  mutating func append(_ encoded: [UInt8]) { bytes += encoded }

  /// The tag and length that start a length-delimited field of `length` bytes, so that a
  /// large value can be streamed after them.
  static func lengthDelimitedPrefix(field: Int, length: Int) -> [UInt8] {
    var prefix: [UInt8] = []
    appendVarint(UInt64(field << 3 | 2), to: &prefix)
    appendVarint(UInt64(length), to: &prefix)
    return prefix
  }

  private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}
