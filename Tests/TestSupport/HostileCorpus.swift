/// A broken or malicious checkpoint and the error it must produce.
public struct HostileCase: Sendable, CustomStringConvertible {
  /// File name in the corpus.
  public let name: String
  /// What it tests, in one line.
  public let note: String
  /// The file's bytes.
  public let bytes: [UInt8]
  /// The member the error must name, if the problem is in one.
  public let member: String?
  /// A fragment the error's reason must contain.
  public let reason: String
  /// Whether the problem shows only when tensor data is read (not from headers alone).
  public let needsData: Bool

  public var description: String { name }
}

/// The corpus of hostile inputs (reliability.md section 6, npy and zip levels), generated in
/// code so every case documents itself.
public enum HostileCorpus {
  static let good = RawZip.floats([1, 2, 3, 4])
  static let goodHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"

  static func one(_ name: String, _ npy: [UInt8]) -> [UInt8] { RawZip([.init(name, npy)]).bytes() }

  static func header(_ text: String, data: [UInt8] = good) -> [UInt8] {
    one("w.npy", RawZip.npy(header: text, data: data))
  }

  /// Two members where the first one's compressed data spans the second one's local header
  /// and data, so the same bytes count twice (Fifield's non-recursive zip bomb). Every header
  /// is self-consistent; only the ranges overlap.
  static func overlapBomb() -> [UInt8] {
    let npy = RawZip.npy(header: goodHeader, data: good)
    let crc = RawZip.crc(npy)
    func local(_ name: String, method: UInt16, crc: UInt32, compressed: Int, size: Int) -> [UInt8] {
      le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21) + le32(crc)
        + le32(UInt32(compressed)) + le32(UInt32(size)) + le16(UInt16(name.utf8.count)) + le16(0) + Array(name.utf8)
    }
    func central(_ name: String, method: UInt16, crc: UInt32, compressed: Int, size: Int, offset: Int) -> [UInt8] {
      le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21) + le32(crc)
        + le32(UInt32(compressed)) + le32(UInt32(size)) + le16(UInt16(name.utf8.count)) + le16(0) + le16(0)
        + le16(0) + le16(0) + le32(0) + le32(UInt32(offset)) + Array(name.utf8)
    }
    let second = local("w1.npy", method: 0, crc: crc, compressed: npy.count, size: npy.count) + npy
    let first = local("w0.npy", method: 8, crc: 0, compressed: second.count, size: npy.count)
    var bytes = first + second
    let directory =
      central("w0.npy", method: 8, crc: 0, compressed: second.count, size: npy.count, offset: 0)
      + central("w1.npy", method: 0, crc: crc, compressed: npy.count, size: npy.count, offset: first.count)
    let directoryOffset = bytes.count
    bytes += directory
    bytes +=
      le32(0x0605_4B50) + le16(0) + le16(0) + le16(2) + le16(2) + le32(UInt32(directory.count))
      + le32(UInt32(directoryOffset)) + le16(0)
    return bytes
  }

  public static let cases: [HostileCase] = {
    var cases: [HostileCase] = []
    func add(
      _ name: String, _ note: String, _ bytes: [UInt8], member: String? = nil, _ reason: String, needsData: Bool = false
    ) {
      cases.append(
        HostileCase(name: name, note: note, bytes: bytes, member: member, reason: reason, needsData: needsData))
    }
    let valid = one("w.npy", RawZip.npy(header: goodHeader, data: good))

    add(
      "html.npz", "an HTML error page saved under the checkpoint's name",
      Array("<!DOCTYPE html>\n<html><body>403 Forbidden</body></html>\n".utf8), "looks like an HTML")
    add("empty.npz", "a zero-byte file", [], "file is empty")
    add(
      "plain.npy", "a single .npy array instead of an .npz archive", RawZip.npy(header: goodHeader, data: good),
      "single .npy array")
    add(
      "truncated.npz", "a valid archive cut in the middle (no end-of-central-directory)",
      Array(valid.prefix(valid.count / 2)), "truncated or corrupt zip archive")
    var flipped = valid
    flipped[30 + 5 + 128 + 2] ^= 0xFF  // a byte of the first float
    add(
      "crc.npz", "one data byte flipped: the CRC-32 no longer matches", flipped, member: "w.npy", "CRC-32 mismatch",
      needsData: true)
    add(
      "short-data.npz", "npy header promises 4 floats, the member holds 2",
      header(goodHeader, data: RawZip.floats([1, 2])), member: "w.npy",
      "member holds 8 data bytes but its header describes 16")
    add(
      "no-magic.npz", "member is not an npy stream", one("w.npy", Array("hello, world, not numpy".utf8)),
      member: "w.npy", "magic")
    var long = RawZip.npy(header: goodHeader, data: good, version: 2)
    long.replaceSubrange(8..<12, with: le32(20_000))
    add(
      "long-header.npz", "v2 header that claims 20,000 bytes",
      one("w.npy", long + [UInt8](repeating: 0x20, count: 20_000)),
      member: "w.npy", "exceeds the 10000-byte limit")
    add(
      "not-dict.npz", "header is a list, not a dict literal", header("[1, 2, 3]"), member: "w.npy", "not a dict literal"
    )
    add(
      "code.npz", "header tries to call a function", header("{'descr': __import__('os').system('true')}"),
      member: "w.npy", "other than a plain literal")
    add(
      "unicode-dtype.npz", "descr '<U10' (strings)",
      header("{'descr': '<U10', 'fortran_order': False, 'shape': (4,), }"), member: "w.npy", "unsupported dtype '<U10'")
    add(
      "object.npz", "descr '|O': a pickled object array, never unpickled",
      header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data: Array("\u{80}\u{04}cos\nsystem\n".utf8)),
      member: "w.npy", "pickled Python objects")
    add(
      "structured.npz", "descr is a list of fields (structured dtype)",
      header("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }"),
      member: "w.npy", "structured dtypes are refused")
    add(
      "void4.npz", "descr '<V4': a void width that is not bfloat16",
      header("{'descr': '<V4', 'fortran_order': False, 'shape': (4,), }"), member: "w.npy", "only the two-byte void")
    add(
      "negative-shape.npz", "a negative dimension",
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }"),
      member: "w.npy", "negative dimension")
    add(
      "overflow-shape.npz", "dimensions whose product overflows 64 bits",
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
      member: "w.npy", "overflows")
    add(
      "huge-claim.npz", "header claims 2^40 floats in a tiny member (no allocation may follow)",
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"),
      member: "w.npy", "its header describes 4398046511104")
    add(
      "extra-key.npz", "header dict has a fourth key",
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1, }"), member: "w.npy", "unexpected key 'x'"
    )
    add(
      "missing-key.npz", "header dict lacks 'shape'", header("{'descr': '<f4', 'fortran_order': False, }"),
      member: "w.npy", "lacks the key 'shape'")
    add(
      "duplicate-key.npz", "header dict repeats 'descr'",
      header("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }"), member: "w.npy",
      "repeats the key")
    add(
      "bad-fortran.npz", "fortran_order is a string",
      header("{'descr': '<f4', 'fortran_order': 'no', 'shape': (4,), }"),
      member: "w.npy", "not True or False")
    var version4 = RawZip.npy(header: goodHeader, data: good)
    version4[6] = 4
    add(
      "version4.npz", "npy format version 4.0", one("w.npy", version4), member: "w.npy",
      "unsupported npy format version 4.0")
    add(
      "header-too-short.npz",
      "v1 header of 1 byte, ending inside the preamble (found by fuzzing: a negative read length)",
      one("w.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, 1, 0] + Array("{}".utf8) + RawZip.floats([1])),
      member: "w.npy", "npy header of 1 bytes is too short")
    add(
      "header-past-end.npz", "v1 header length points past the end of the member",
      one("w.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0x0F] + Array("{'descr'".utf8)),
      member: "w.npy", "npy header is truncated")
    add(
      "duplicate-member.npz", "the same member name twice",
      RawZip([
        .init("w.npy", RawZip.npy(header: goodHeader, data: good)),
        .init("w.npy", RawZip.npy(header: goodHeader, data: good)),
      ]).bytes(),
      "two members with the same name")
    add(
      "dotdot.npz", "member name with a '..' component",
      one("../../etc/w.npy", RawZip.npy(header: goodHeader, data: good)),
      member: "../../etc/w.npy", "'..' path component")
    add(
      "absolute.npz", "member name that is an absolute path",
      one("/etc/w.npy", RawZip.npy(header: goodHeader, data: good)),
      member: "/etc/w.npy", "absolute path")
    add(
      "not-npy.npz", "a member that is not an npy array (whatever its name)", one("notes.txt", Array("hello".utf8)),
      member: "notes.txt", "not an npy array (magic")
    var bomb = RawZip.Member("w.npy", [UInt8](repeating: 0x03, count: 100))
    bomb.method = 8
    bomb.declaredSizeOverride = 0xFFFF_FF00
    add(
      "deflate-bomb.npz", "a deflated member declaring 4 GB from 100 bytes", RawZip([bomb]).bytes(),
      member: "w.npy", "beyond what deflate can produce")
    var bzip = RawZip.Member("w.npy", RawZip.npy(header: goodHeader, data: good))
    bzip.method = 12
    add(
      "bzip2.npz", "compression method 12 (bzip2)", RawZip([bzip]).bytes(), member: "w.npy",
      "unsupported compression method 12")
    add(
      "overlap.npz", "the first member's data quotes the second member entirely (overlapping-entry zip bomb)",
      overlapBomb(), member: "w1.npy", "overlap")
    return cases
  }()
}
