import CZlib

/// Builds zip archives byte by byte, including malformed ones, for hostile-input tests.
///
/// Members are stored (method 0) unless told otherwise; every field a test may want to lie
/// about can be overridden.
public struct RawZip {
  /// One member and the lies to tell about it.
  public struct Member {
    public var name: String
    public var data: [UInt8]
    public var method: UInt16 = 0
    public var crcOverride: UInt32?
    public var declaredSizeOverride: UInt32?
    public var compressedSizeOverride: UInt32?

    public init(_ name: String, _ data: [UInt8]) {
      self.name = name
      self.data = data
    }
  }

  public var members: [Member]

  public init(_ members: [Member]) { self.members = members }

  /// The archive bytes.
  public func bytes() -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for member in members {
      let offset = out.count
      let name = Array(member.name.utf8)
      let crc = member.crcOverride ?? Self.crc(member.data)
      let size = member.declaredSizeOverride ?? UInt32(member.data.count)
      let compressed = member.compressedSizeOverride ?? UInt32(member.data.count)
      out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(member.method) + le16(0) + le16(0x21)
      out += le32(crc) + le32(compressed) + le32(size) + le16(UInt16(name.count)) + le16(0) + name
      out += member.data
      central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(member.method) + le16(0) + le16(0x21)
      central += le32(crc) + le32(compressed) + le32(size) + le16(UInt16(name.count)) + le16(0) + le16(0)
      central += le16(0) + le16(0) + le32(0) + le32(UInt32(offset)) + name
    }
    let centralOffset = out.count
    out += central
    out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
    out += le32(UInt32(central.count)) + le32(UInt32(centralOffset)) + le16(0)
    return out
  }

  /// An npy member: `header` text padded as numpy pads it, then `data`.
  public static func npy(header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    var text = Array(header.utf8)
    let prefix = version == 1 ? 10 : 12
    while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
    text.append(0x0A)
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    out += version == 1 ? le16(UInt16(text.count)) : le32(UInt32(text.count))
    return out + text + data
  }

  /// CRC-32 of `bytes`.
  public static func crc(_ bytes: [UInt8]) -> UInt32 {
    UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
  }

  /// Little-endian float32 bytes.
  public static func floats(_ values: [Float]) -> [UInt8] {
    values.flatMap { le32($0.bitPattern) }
  }
}

public func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
public func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
