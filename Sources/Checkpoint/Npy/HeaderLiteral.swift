/// A value in the Python literal that forms an npy header.
enum HeaderValue: Equatable {
  case string(String)
  case bool(Bool)
  case integer(Int)
  case none
  case tuple([HeaderValue])
  case list([HeaderValue])
}

/// A recursive-descent parser for the small subset of Python literal syntax that npy headers
/// use: one dict with string keys whose values are strings, `True`/`False`/`None`, integers,
/// and tuples or lists of those. Nothing is evaluated; anything else is a format violation.
struct HeaderLiteralParser {
  private let bytes: [UInt8]
  private var position = 0
  private var depth = 0
  /// Deepest nesting accepted; real headers nest at most three levels (structured dtypes).
  private static let maxDepth = 16

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Parses the whole text as one dict literal and returns its entries in order.
  static func parseDict(_ bytes: [UInt8]) throws(FormatViolation) -> [(key: String, value: HeaderValue)] {
    var parser = HeaderLiteralParser(bytes)
    let entries = try parser.dict()
    parser.skipSpace()
    guard parser.position == bytes.count else {
      throw FormatViolation("npy header has text after the dict literal")
    }
    return entries
  }

  private mutating func dict() throws(FormatViolation) -> [(key: String, value: HeaderValue)] {
    skipSpace()
    guard take(UInt8(ascii: "{")) else { throw FormatViolation("npy header is not a dict literal") }
    var entries: [(key: String, value: HeaderValue)] = []
    skipSpace()
    if take(UInt8(ascii: "}")) { return entries }
    while true {
      skipSpace()
      guard case .string(let key) = try value() else {
        throw FormatViolation("npy header dict has a key that is not a string")
      }
      skipSpace()
      guard take(UInt8(ascii: ":")) else { throw FormatViolation("npy header dict is missing ':'") }
      let item = try value()
      entries.append((key, item))
      skipSpace()
      if take(UInt8(ascii: "}")) { return entries }
      guard take(UInt8(ascii: ",")) else { throw FormatViolation("npy header dict is missing ','") }
      skipSpace()
      if take(UInt8(ascii: "}")) { return entries }
    }
  }

  private mutating func value() throws(FormatViolation) -> HeaderValue {
    skipSpace()
    guard position < bytes.count else { throw FormatViolation("npy header ends inside a value") }
    switch bytes[position] {
    case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "("): return .tuple(try sequence(closing: UInt8(ascii: ")")))
    case UInt8(ascii: "["): return .list(try sequence(closing: UInt8(ascii: "]")))
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
    default:
      if takeWord("True") { return .bool(true) }
      if takeWord("False") { return .bool(false) }
      if takeWord("None") { return .none }
      throw FormatViolation("npy header holds something other than a plain literal")
    }
  }

  private mutating func sequence(closing: UInt8) throws(FormatViolation) -> [HeaderValue] {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw FormatViolation("npy header nests too deeply") }
    position += 1
    var items: [HeaderValue] = []
    while true {
      skipSpace()
      if take(closing) { return items }
      items.append(try value())
      skipSpace()
      if take(closing) { return items }
      guard take(UInt8(ascii: ",")) else { throw FormatViolation("npy header has a malformed tuple or list") }
    }
  }

  private mutating func string() throws(FormatViolation) -> String {
    let quote = bytes[position]
    position += 1
    let start = position
    while position < bytes.count, bytes[position] != quote {
      if bytes[position] == UInt8(ascii: "\\") {
        throw FormatViolation("npy header string has an escape sequence")
      }
      position += 1
    }
    guard position < bytes.count else { throw FormatViolation("npy header has an unterminated string") }
    defer { position += 1 }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func integer() throws(FormatViolation) -> Int {
    let negative = take(UInt8(ascii: "-"))
    var result = 0
    var digits = 0
    while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
      let digit = Int(bytes[position] - UInt8(ascii: "0"))
      let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = shifted.addingReportingOverflow(digit)
      guard !overflow1, !overflow2 else { throw FormatViolation("npy header integer is too large") }
      result = sum
      digits += 1
      position += 1
    }
    guard digits > 0 else { throw FormatViolation("npy header has a malformed integer") }
    _ = take(UInt8(ascii: "L")) || take(UInt8(ascii: "l"))  // Python 2 long suffix
    return negative ? -result : result
  }

  private mutating func skipSpace() {
    while position < bytes.count,
      [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[position])
    {
      position += 1
    }
  }

  private mutating func take(_ byte: UInt8) -> Bool {
    guard position < bytes.count, bytes[position] == byte else { return false }
    position += 1
    return true
  }

  private mutating func takeWord(_ word: String) -> Bool {
    let utf8 = Array(word.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
      return false
    }
    position += utf8.count
    return true
  }
}
