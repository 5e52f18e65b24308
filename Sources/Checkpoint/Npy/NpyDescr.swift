/// Maps numpy's `descr` strings to ``DType`` and back.
///
/// Only plain numeric types are accepted. Object arrays (`|O`, which hold pickles), strings,
/// complex numbers, datetimes and void types other than the two-byte bfloat16 are refused
/// with a reason that says why.
enum NpyDescr {
  /// Decodes a `descr` string such as `<f4`, `|u1`, `>f8` or `<V2`.
  static func parse(_ descr: String) throws(FormatViolation) -> (DType, ByteOrder) {
    let chars = Array(descr.utf8)
    guard chars.count >= 2, chars.count <= 4 else {
      throw FormatViolation("unsupported dtype '\(descr)'")
    }
    let orderChar = chars[0]
    let order: ByteOrder
    switch orderChar {
    case UInt8(ascii: "<"), UInt8(ascii: "="): order = .little
    case UInt8(ascii: ">"): order = .big
    case UInt8(ascii: "|"): order = .notApplicable
    default: throw FormatViolation("unsupported dtype '\(descr)' (no byte-order mark)")
    }
    let kind = chars[1]
    guard let size = Int(String(decoding: chars[2...], as: UTF8.self)) else {
      if kind == UInt8(ascii: "O") {
        throw FormatViolation("object arrays (dtype '\(descr)') hold pickled Python objects and are refused")
      }
      throw FormatViolation("unsupported dtype '\(descr)'")
    }
    let dtype: DType
    switch (kind, size) {
    case (UInt8(ascii: "f"), 2): dtype = .float16
    case (UInt8(ascii: "f"), 4): dtype = .float32
    case (UInt8(ascii: "f"), 8): dtype = .float64
    case (UInt8(ascii: "i"), 1): dtype = .int8
    case (UInt8(ascii: "i"), 2): dtype = .int16
    case (UInt8(ascii: "i"), 4): dtype = .int32
    case (UInt8(ascii: "i"), 8): dtype = .int64
    case (UInt8(ascii: "u"), 1): dtype = .uint8
    case (UInt8(ascii: "u"), 2): dtype = .uint16
    case (UInt8(ascii: "u"), 4): dtype = .uint32
    case (UInt8(ascii: "u"), 8): dtype = .uint64
    case (UInt8(ascii: "b"), 1): dtype = .bool
    case (UInt8(ascii: "V"), 2): dtype = .bfloat16
    case (UInt8(ascii: "V"), _):
      throw FormatViolation("unsupported dtype '\(descr)': only the two-byte void (bfloat16) is read")
    case (UInt8(ascii: "O"), _):
      throw FormatViolation("object arrays (dtype '\(descr)') hold pickled Python objects and are refused")
    case (UInt8(ascii: "f"), 1):
      throw FormatViolation("unsupported dtype '\(descr)' (float8 is not supported)")
    default:
      throw FormatViolation("unsupported dtype '\(descr)'")
    }
    if dtype.itemSize == 1 { return (dtype, .notApplicable) }
    // numpy writes plain void types with '|'; a two-byte void is little-endian bfloat16.
    if dtype == .bfloat16, order == .notApplicable { return (dtype, .little) }
    guard order != .notApplicable else {
      throw FormatViolation("unsupported dtype '\(descr)': a multi-byte type needs '<' or '>'")
    }
    return (dtype, order)
  }

  /// The little-endian `descr` numpy (or ml_dtypes, for bfloat16) writes for a type.
  static func string(for dtype: DType) -> String {
    switch dtype {
    case .bool: "|b1"
    case .int8: "|i1"
    case .uint8: "|u1"
    case .int16: "<i2"
    case .int32: "<i4"
    case .int64: "<i8"
    case .uint16: "<u2"
    case .uint32: "<u4"
    case .uint64: "<u8"
    case .float16: "<f2"
    case .bfloat16: "<V2"
    case .float32: "<f4"
    case .float64: "<f8"
    }
  }
}
