/// Hand-made image bytes for the decoder and `classify` tests.
public enum TestImages {
  /// A PNG chunk: length, type, data and its CRC.
  public static func pngChunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(kind.utf8) + data
    let length = UInt32(data.count)
    let crc = RawZip.crc(body)
    return withUnsafeBytes(of: length.bigEndian, Array.init) + body + withUnsafeBytes(of: crc.bigEndian, Array.init)
  }

  /// A well-formed PNG header declaring `width × height` 8-bit RGB pixels, with a tiny IDAT
  /// that holds far fewer: a decoder must refuse it from the header alone.
  public static func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
    let header = withUnsafeBytes(of: width.bigEndian, Array.init) + withUnsafeBytes(of: height.bigEndian, Array.init)
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", header + [8, 2, 0, 0, 0])
      + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + pngChunk("IEND", [])
  }
}
