import Testing

@testable import Checkpoint

@Suite struct NpyHeaderTests {
  private func header(_ text: String, version: UInt8 = 1) -> [UInt8] {
    var body = Array(text.utf8)
    let prefix = version == 1 ? 10 : 12
    while (prefix + body.count + 1) % 64 != 0 { body.append(0x20) }
    body.append(0x0A)
    let length = body.count
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    out +=
      version == 1
      ? [UInt8(length & 0xFF), UInt8(length >> 8)] : (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    return out + body
  }

  @Test func parsesNumpyStyleHeader() throws {
    let h = try NpyHeader.parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (16, 16, 3, 32), }"))
    #expect(h.dtype == .float32)
    #expect(h.byteOrder == .little)
    #expect(!h.fortranOrder)
    #expect(h.shape == [16, 16, 3, 32])
    #expect(h.elementCount == 24576)
    #expect(h.dataByteCount == 98304)
    #expect(h.dataOffset == 64 * ((10 + 66 + 63) / 64))
  }

  @Test(arguments: [1, 2, 3] as [UInt8])
  func parsesEveryVersion(version: UInt8) throws {
    let h = try NpyHeader.parse(
      header("{\"shape\": (), \"fortran_order\": True, \"descr\": \">f8\"}", version: version))
    #expect(h.dtype == .float64)
    #expect(h.byteOrder == .big)
    #expect(h.fortranOrder)
    #expect(h.shape == [])
    #expect(h.elementCount == 1)
    #expect(h.dataOffset % 64 == 0)
  }

  @Test func acceptsPython2LongSuffixAndOneTuple() throws {
    let h = try NpyHeader.parse(header("{'descr': '|u1', 'fortran_order': False, 'shape': (7L,)}"))
    #expect(h.shape == [7])
    #expect(h.dtype == .uint8)
    #expect(h.byteOrder == .notApplicable)
  }

  @Test(arguments: [
    ("<f2", DType.float16), ("<f4", .float32), ("<f8", .float64), (">f4", .float32), ("<V2", .bfloat16),
    ("|V2", .bfloat16), ("|b1", .bool), ("|i1", .int8), ("<i2", .int16), ("<i4", .int32), ("<i8", .int64),
    ("|u1", .uint8), ("<u2", .uint16), ("<u4", .uint32), (">u8", .uint64),
  ])
  func decodesDescr(descr: String, dtype: DType) throws {
    #expect(try NpyDescr.parse(descr).0 == dtype)
  }

  @Test(arguments: [
    ("|O", "pickled"), ("<U10", "unsupported dtype"), ("<c8", "unsupported dtype"), ("<f1", "float8"),
    ("<V4", "two-byte void"), ("f4", "unsupported dtype"), ("<M8[ns]", "unsupported dtype"), ("|f4", "'<' or '>'"),
  ])
  func refusesDescr(descr: String, fragment: String) {
    #expect {
      try NpyDescr.parse(descr)
    } throws: { ($0 as? FormatViolation)?.reason.contains(fragment) == true }
  }

  @Test func encodeRoundTripsAndAligns() throws {
    for shape in [[], [5], [2, 3], [16, 16, 3, 768], [1, 197, 768]] {
      for dtype in [DType.float32, .float16, .bfloat16, .uint8] {
        let bytes = NpyHeader.encode(dtype: dtype, shape: shape)
        #expect(bytes.count % 64 == 0)
        #expect(bytes.last == 0x0A)
        let h = try NpyHeader.parse(bytes)
        #expect(h.shape == shape)
        #expect(h.dtype == dtype)
        #expect(h.dataOffset == bytes.count)
      }
    }
  }

  @Test func refusesNestingBombWithoutRecursingForever() {
    let deep = "{'descr': " + String(repeating: "[", count: 5000) + "}"
    #expect(throws: FormatViolation.self) { try NpyHeader.parse(header(deep)) }
  }

  @Test func refusesTextAfterDict() {
    #expect(throws: FormatViolation("npy header has text after the dict literal")) {
      try NpyHeader.parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"))
    }
  }
}
