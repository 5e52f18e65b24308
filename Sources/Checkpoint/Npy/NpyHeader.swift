/// The header of one `.npy` array: element type, memory order and shape.
///
/// Parsing follows the npy format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, two
/// version bytes, a little-endian header length (two bytes in 1.0, four after), then a Python
/// dict literal with exactly the keys `descr`, `fortran_order` and `shape`. The literal is
/// parsed with a small grammar and never evaluated. Sizes are computed with checked arithmetic,
/// so a hostile shape cannot overflow or ask for absurd amounts of memory unnoticed.
public struct NpyHeader: Equatable, Sendable {
  /// Element type.
  public var dtype: DType
  /// Byte order of the elements in the file.
  public var byteOrder: ByteOrder
  /// Whether the data is stored column-major (`fortran_order: True`).
  public var fortranOrder: Bool
  /// Dimensions; empty for a scalar.
  public var shape: [Int]
  /// Offset of the first data byte from the start of the `.npy` stream.
  public var dataOffset: Int
  /// Number of elements, the product of `shape`.
  public var elementCount: Int
  /// Number of data bytes the header promises.
  public var dataByteCount: Int

  /// The longest header text accepted, as in numpy 1.24 and later.
  public static let maxHeaderTextLength = 10_000
  /// Bytes a reader needs to see before it knows the whole header length.
  public static let preambleLength = 12
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// Reads the magic and version and returns where the header text starts and how long it is.
  ///
  /// - Parameter preamble: the first bytes of the stream (up to ``preambleLength``; fewer when
  ///   the stream is shorter).
  public static func headerTextRange(preamble: [UInt8]) throws(FormatViolation) -> Range<Int> {
    guard preamble.count >= 8, Array(preamble[0..<6]) == magic else {
      throw FormatViolation("not an npy array (magic '\\x93NUMPY' missing)")
    }
    let major = preamble[6]
    let minor = preamble[7]
    switch major {
    case 1:
      guard preamble.count >= 10 else { throw FormatViolation("npy header is truncated") }
      let length = Int(preamble[8]) | Int(preamble[9]) << 8
      return try checked(start: 10, length: length)
    case 2, 3:
      guard preamble.count >= 12 else { throw FormatViolation("npy header is truncated") }
      var length = 0
      for i in 0..<4 { length |= Int(preamble[8 + i]) << (8 * i) }
      return try checked(start: 12, length: length)
    default:
      throw FormatViolation("unsupported npy format version \(major).\(minor)")
    }
  }

  /// The header text's range; it must end no earlier than the preamble (a version 1.0 header of
  /// fewer than 2 bytes cannot hold a dict, and readers fetch the rest after the preamble).
  private static func checked(start: Int, length: Int) throws(FormatViolation) -> Range<Int> {
    guard length <= maxHeaderTextLength else {
      throw FormatViolation("npy header of \(length) bytes exceeds the \(maxHeaderTextLength)-byte limit")
    }
    guard start + length >= preambleLength else { throw FormatViolation("npy header of \(length) bytes is too short") }
    return start..<(start + length)
  }

  /// Parses a complete header.
  ///
  /// - Parameter bytes: the stream from its first byte up to at least the end of the header
  ///   text (as given by ``headerTextRange(preamble:)``).
  public static func parse(_ bytes: [UInt8]) throws(FormatViolation) -> NpyHeader {
    let textRange = try headerTextRange(preamble: Array(bytes.prefix(preambleLength)))
    guard bytes.count >= textRange.upperBound else { throw FormatViolation("npy header is truncated") }
    let text = Array(bytes[textRange])
    if bytes[6] < 3, text.contains(where: { $0 >= 0x80 }) {
      throw FormatViolation("npy header has non-ASCII bytes")
    }
    if bytes[6] == 3, String(validating: text, as: UTF8.self) == nil {
      throw FormatViolation("npy header is not valid UTF-8")
    }
    let entries = try HeaderLiteralParser.parseDict(text)
    var fields: [String: HeaderValue] = [:]
    for (key, value) in entries {
      guard ["descr", "fortran_order", "shape"].contains(key) else {
        throw FormatViolation("npy header has an unexpected key '\(key)'")
      }
      guard fields.updateValue(value, forKey: key) == nil else {
        throw FormatViolation("npy header repeats the key '\(key)'")
      }
    }
    for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
      throw FormatViolation("npy header lacks the key '\(key)'")
    }
    let (dtype, byteOrder): (DType, ByteOrder)
    switch fields["descr"]! {
    case .string(let descr): (dtype, byteOrder) = try NpyDescr.parse(descr)
    case .list: throw FormatViolation("structured dtypes are refused (descr is a list of fields)")
    default: throw FormatViolation("npy header 'descr' is not a string")
    }
    guard case .bool(let fortranOrder) = fields["fortran_order"]! else {
      throw FormatViolation("npy header 'fortran_order' is not True or False")
    }
    guard case .tuple(let dims) = fields["shape"]! else {
      throw FormatViolation("npy header 'shape' is not a tuple")
    }
    var shape: [Int] = []
    var elementCount = 1
    for dim in dims {
      guard case .integer(let n) = dim else { throw FormatViolation("npy header 'shape' holds a non-integer") }
      guard n >= 0 else { throw FormatViolation("npy header 'shape' has a negative dimension (\(n))") }
      let (product, overflow) = elementCount.multipliedReportingOverflow(by: n)
      guard !overflow else { throw FormatViolation("npy header 'shape' \(shapeText(dims)) overflows") }
      elementCount = product
      shape.append(n)
    }
    let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.itemSize)
    guard !overflow else { throw FormatViolation("npy header 'shape' \(shapeText(dims)) overflows") }
    return NpyHeader(
      dtype: dtype, byteOrder: byteOrder, fortranOrder: fortranOrder, shape: shape,
      dataOffset: textRange.upperBound, elementCount: elementCount, dataByteCount: byteCount)
  }

  private static func shapeText(_ dims: [HeaderValue]) -> String {
    "(" + dims.map { if case .integer(let n) = $0 { String(n) } else { "?" } }.joined(separator: ", ") + ")"
  }

  /// Encodes a version 1.0 header for a little-endian, C-order array, as numpy writes it:
  /// the dict literal padded with spaces and a final newline so that the data starts at a
  /// multiple of 64 bytes.
  public static func encode(dtype: DType, shape: [Int]) -> [UInt8] {
    let dims: String
    switch shape.count {
    case 0: dims = "()"
    case 1: dims = "(\(shape[0]),)"
    default: dims = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    var text = "{'descr': '\(NpyDescr.string(for: dtype))', 'fortran_order': False, 'shape': \(dims), }"
    let unpadded = 10 + text.utf8.count + 1
    text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let length = text.utf8.count
    return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
  }
}
