import Checkpoint
import Runtime

/// A JSON value, as parsed by ``StrictJSON``.
public indirect enum JSONValue: Equatable, Sendable {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  case number(Double, integer: Int?)
  case bool(Bool)
  case null

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case (.array(let x), .array(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.number(let x, _), .number(let y, _)): x == y
    case (.bool(let x), .bool(let y)): x == y
    case (.null, .null): true
    default: false
    }
  }

  /// The member `key` of an object.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }
}

/// A strict JSON parser (RFC 8259) that, unlike Foundation's, refuses duplicate object keys,
/// and bounds nesting depth, so headers that different readers would interpret differently
/// are rejected outright.
public struct StrictJSON {
  private let bytes: [UInt8]
  private var position = 0
  private var depth = 0
  private static let maxDepth = 64
  /// What parsing may take per byte of text, at most: a document of many short values (`0,`)
  /// takes about 35 bytes of memory per byte here, as a tree and then again when decoded.
  static let memoryPerByte = 40

  /// Parses a complete document, unless parsing it could take more than the ``MemoryBudget``.
  public static func parse(_ bytes: [UInt8]) throws(FormatViolation) -> JSONValue {
    let (memory, overflow) = bytes.count.multipliedReportingOverflow(by: memoryPerByte)
    guard !overflow, memory <= MemoryBudget.bytes else {
      throw FormatViolation(
        "JSON of \(bytes.count) bytes could take \(MemoryBudget.amount(memory)) to read, more than the "
          + "\(MemoryBudget.amount(MemoryBudget.bytes)) allowed (\(MemoryBudget.limit.bound.words))")
    }
    var parser = StrictJSON(bytes: bytes)
    parser.skipSpace()
    let value = try parser.value()
    parser.skipSpace()
    guard parser.position == bytes.count else { throw FormatViolation("JSON has text after the document") }
    return value
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private mutating func value() throws(FormatViolation) -> JSONValue {
    guard position < bytes.count else { throw FormatViolation("JSON ends early") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "n"): return try literal("null", .null)
    default: return try number()
    }
  }

  private mutating func object() throws(FormatViolation) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    position += 1
    var members: [(key: String, value: JSONValue)] = []
    var keys: Set<String> = []
    skipSpace()
    if take(UInt8(ascii: "}")) { return .object(members) }
    while true {
      skipSpace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw FormatViolation("JSON object key is not a string")
      }
      let key = try string()
      guard keys.insert(key).inserted else { throw FormatViolation("JSON object has the key '\(key)' twice") }
      skipSpace()
      guard take(UInt8(ascii: ":")) else { throw FormatViolation("JSON object is missing ':'") }
      skipSpace()
      members.append((key, try value()))
      skipSpace()
      if take(UInt8(ascii: "}")) { return .object(members) }
      guard position < bytes.count else { throw FormatViolation("JSON ends early") }
      guard take(UInt8(ascii: ",")) else { throw FormatViolation("JSON object is missing ','") }
    }
  }

  private mutating func array() throws(FormatViolation) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    position += 1
    var items: [JSONValue] = []
    skipSpace()
    if take(UInt8(ascii: "]")) { return .array(items) }
    while true {
      skipSpace()
      items.append(try value())
      skipSpace()
      if take(UInt8(ascii: "]")) { return .array(items) }
      guard position < bytes.count else { throw FormatViolation("JSON ends early") }
      guard take(UInt8(ascii: ",")) else { throw FormatViolation("JSON array is missing ','") }
    }
  }

  private mutating func enter() throws(FormatViolation) {
    depth += 1
    guard depth <= Self.maxDepth else { throw FormatViolation("JSON nests deeper than \(Self.maxDepth) levels") }
  }

  private mutating func string() throws(FormatViolation) -> String {
    position += 1
    var out: [UInt8] = []
    while position < bytes.count {
      let c = bytes[position]
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let text = String(validating: out, as: UTF8.self) else {
          throw FormatViolation("JSON string is not UTF-8")
        }
        return text
      case UInt8(ascii: "\\"):
        guard position < bytes.count else { break }
        let e = bytes[position]
        position += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")) else {
              throw FormatViolation("JSON string has a lone surrogate")
            }
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw FormatViolation("JSON string has a lone surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let unicode = Unicode.Scalar(scalar) else { throw FormatViolation("JSON string has an invalid escape") }
          out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default: throw FormatViolation("JSON string has an invalid escape")
        }
      default:
        guard c >= 0x20 else { throw FormatViolation("JSON string has a control character") }
        out.append(c)
      }
    }
    throw FormatViolation("JSON string is not terminated")
  }

  private mutating func hex4() throws(FormatViolation) -> UInt32 {
    guard position + 4 <= bytes.count,
      let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
    else { throw FormatViolation("JSON string has an invalid \\u escape") }
    position += 4
    return value
  }

  private mutating func number() throws(FormatViolation) -> JSONValue {
    let start = position
    _ = take(UInt8(ascii: "-"))
    let digitsStart = position
    while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
    guard position > digitsStart else { throw FormatViolation("JSON has an unexpected character") }
    guard !(bytes[digitsStart] == 48 && position - digitsStart > 1) else {
      throw FormatViolation("JSON number has a leading zero")
    }
    var integral = true
    if take(UInt8(ascii: ".")) {
      integral = false
      let fraction = position
      while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
      guard position > fraction else { throw FormatViolation("JSON number is malformed") }
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
      integral = false
      position += 1
      _ = take(UInt8(ascii: "+")) || take(UInt8(ascii: "-"))
      let exponent = position
      while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
      guard position > exponent else { throw FormatViolation("JSON number is malformed") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    guard let value = Double(text) else { throw FormatViolation("JSON number is malformed") }
    guard value.isFinite else {
      let shown = text.count > 24 ? text.prefix(24) + "…" : text
      throw FormatViolation("JSON number \(shown) is out of range")
    }
    return .number(value, integer: integral ? Int(text) : nil)
  }

  private mutating func literal(_ word: String, _ value: JSONValue) throws(FormatViolation) -> JSONValue {
    let utf8 = Array(word.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
      throw FormatViolation("JSON has an unexpected character")
    }
    position += utf8.count
    return value
  }

  private mutating func skipSpace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  private mutating func take(_ byte: UInt8) -> Bool {
    guard position < bytes.count, bytes[position] == byte else { return false }
    position += 1
    return true
  }
}
