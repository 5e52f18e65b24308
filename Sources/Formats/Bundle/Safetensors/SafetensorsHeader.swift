import Checkpoint

/// One tensor in a safetensors header: type, shape and byte range in the data buffer.
public struct SafetensorsEntry: Equatable, Sendable {
  public let name: String
  public let dtype: DType
  public let shape: [Int]
  /// Start of the data, relative to the data buffer (which follows the header).
  public let begin: Int
  /// End (exclusive).
  public let end: Int
}

/// The safetensors header: an 8-byte little-endian length `N`, then `N` bytes of JSON mapping
/// tensor names to `{"dtype", "shape", "data_offsets"}` (plus an optional `__metadata__`
/// object of strings), padded with spaces so the data starts at a multiple of 8.
enum SafetensorsHeader {
  /// The reference parser's cap, checked before any JSON is parsed.
  static let maxLength = 100_000_000
  /// The most dimensions a tensor may have (the models' have at most four), so that a shape
  /// is never a long list to copy and print.
  static let maxRank = 8

  static func code(_ dtype: DType) -> String {
    switch dtype {
    case .bool: "BOOL"
    case .int8: "I8"
    case .int16: "I16"
    case .int32: "I32"
    case .int64: "I64"
    case .uint8: "U8"
    case .uint16: "U16"
    case .uint32: "U32"
    case .uint64: "U64"
    case .float16: "F16"
    case .bfloat16: "BF16"
    case .float32: "F32"
    case .float64: "F64"
    }
  }

  static func dtype(_ code: String) -> DType? { DType.allCases.first { Self.code($0) == code } }

  /// Encodes a header for tensors laid out contiguously in the given order, with the
  /// `__metadata__` strings when there are any.
  static func encode(_ entries: [SafetensorsEntry], metadata: [String: String] = [:]) -> [UInt8] {
    var fields: [String] = []
    if !metadata.isEmpty {
      fields.append(
        "\"__metadata__\":{"
          + metadata.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + quoted($0.value) }
          .joined(separator: ",") + "}")
    }
    for entry in entries.sorted(by: { $0.name < $1.name }) {
      fields.append(
        "\(quoted(entry.name)):{\"dtype\":\"\(code(entry.dtype))\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],"
          + "\"data_offsets\":[\(entry.begin),\(entry.end)]}")
    }
    let json = "{" + fields.joined(separator: ",") + "}"
    var text = Array(json.utf8)
    while text.count % 8 != 0 { text.append(0x20) }
    let n = UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + text
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// Parses and validates a header as strictly as the reference implementation: length cap,
  /// JSON object with no duplicate keys, known dtypes, byte ranges that match their shapes
  /// (checked arithmetic), and tensors that tile the data buffer exactly — contiguous from 0,
  /// no overlap, no holes — so that `8 + N + end == fileSize`.
  ///
  /// - Parameters:
  ///   - prefix: the first bytes of the file, at least `8 + N` of them when the file has them.
  ///   - fileSize: the total file size.
  /// - Returns: the header length `N`, the tensors in offset order, and the metadata.
  static func decode(
    _ prefix: UnsafeRawBufferPointer, fileSize: Int
  ) throws(FormatViolation)
    -> (length: Int, entries: [SafetensorsEntry], metadata: [String: String])
  {
    guard fileSize >= 8, prefix.count >= 8 else {
      throw FormatViolation("file is shorter than the 8-byte header length")
    }
    var n: UInt64 = 0
    for i in 0..<8 { n |= UInt64(prefix[i]) << (8 * UInt64(i)) }
    guard n <= UInt64(maxLength) else {
      throw FormatViolation("header length \(n) exceeds the \(maxLength)-byte limit")
    }
    let length = Int(n)
    guard length >= 2, 8 + length <= fileSize, 8 + length <= prefix.count else {
      throw FormatViolation("header length \(n) does not fit the file of \(fileSize) bytes")
    }
    let text = Array(prefix[8..<(8 + length)])
    guard text.first == UInt8(ascii: "{") else { throw FormatViolation("header does not start with '{'") }
    guard case .object(let members) = try StrictJSON.parse(text) else {
      throw FormatViolation("header is not a JSON object")
    }
    var entries: [SafetensorsEntry] = []
    var metadata: [String: String] = [:]
    for (name, value) in members {
      if name == "__metadata__" {
        guard case .object(let pairs) = value else { throw FormatViolation("__metadata__ is not an object") }
        for (key, item) in pairs {
          guard case .string(let string) = item else {
            throw FormatViolation("__metadata__ value '\(key)' is not a string")
          }
          metadata[key] = string
        }
        continue
      }
      entries.append(try entry(name, value))
    }
    entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var expected = 0
    for entry in entries {
      guard entry.begin == expected else {
        let problem = entry.begin < expected ? "overlaps the previous tensor" : "leaves a gap before it"
        throw FormatViolation("tensor '\(entry.name)' starts at \(entry.begin) and \(problem) (expected \(expected))")
      }
      expected = entry.end
    }
    guard 8 + length + expected == fileSize else {
      throw FormatViolation("tensors end at \(8 + length + expected) but the file has \(fileSize) bytes")
    }
    return (length, entries, metadata)
  }

  private static func entry(_ name: String, _ value: JSONValue) throws(FormatViolation) -> SafetensorsEntry {
    guard case .object(let fields) = value else { throw FormatViolation("tensor '\(name)' is not an object") }
    for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
      throw FormatViolation("tensor '\(name)' has an unknown field '\(key)'")
    }
    guard case .string(let code)? = value["dtype"], let dtype = dtype(code) else {
      throw FormatViolation("tensor '\(name)' has a missing or unsupported dtype")
    }
    guard case .array(let dims)? = value["shape"] else { throw FormatViolation("tensor '\(name)' has no shape") }
    guard dims.count <= maxRank else {
      throw FormatViolation("tensor '\(name)' has \(dims.count) dimensions, more than \(maxRank)")
    }
    var shape: [Int] = []
    var count = 1
    for dim in dims {
      guard case .number(_, let integer?) = dim, integer >= 0 else {
        throw FormatViolation("tensor '\(name)' has a shape entry that is not a non-negative integer")
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: integer)
      guard !overflow else { throw FormatViolation("tensor '\(name)': shape overflows") }
      count = product
      shape.append(integer)
    }
    guard case .array(let offsets)? = value["data_offsets"], offsets.count == 2,
      case .number(_, let begin?) = offsets[0], case .number(_, let end?) = offsets[1], begin >= 0, end >= begin
    else { throw FormatViolation("tensor '\(name)' has invalid data_offsets") }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
    guard !overflow, end - begin == bytes else {
      throw FormatViolation("tensor '\(name)' occupies \(end - begin) bytes but \(code) \(shape) needs \(bytes)")
    }
    return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }
}
