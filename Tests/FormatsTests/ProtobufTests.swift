import Testing

@testable import Formats

/// The protobuf wire format as the ONNX reader and writer use it.
@Suite struct ProtobufTests {
  private func fields(_ bytes: [UInt8]) throws(ProtobufError) -> [(Int, ProtobufValue)] {
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { raw.deallocate() }
    raw.copyBytes(from: bytes)
    var decoder = ProtobufDecoder(UnsafeRawBufferPointer(raw))
    var result: [(Int, ProtobufValue)] = []
    while let field = try decoder.next() { result.append(field) }
    // The values point into `raw`: keep only what the tests read after it is freed.
    return result.map { field, value in
      if case .lengthDelimited(let bytes) = value { return (field, .varint(UInt64(bytes.count))) }
      return (field, value)
    }
  }

  @Test func encodedFieldsDecodeToTheirValues() throws {
    var nested = ProtobufEncoder()
    nested.string(1, "blocks.0")
    var message = ProtobufEncoder()
    message.int(1, 300)
    message.int(2, -1)
    message.float(3, 1e-6)
    message.message(4, nested)
    try message.bytes.withUnsafeBytes { raw in
      var decoder = ProtobufDecoder(raw)
      let first = try #require(try decoder.next())
      let firstValue = try first.value.int()
      #expect(first.field == 1 && firstValue == 300)
      let second = try #require(try decoder.next())
      let secondValue = try second.value.int()
      #expect(second.field == 2 && secondValue == -1)
      let third = try #require(try decoder.next())
      let thirdValue = try third.value.float()
      #expect(third.field == 3 && thirdValue == 1e-6)
      let inner = try #require(try decoder.next())
      var innerDecoder = ProtobufDecoder(try inner.value.data())
      let name = try #require(try innerDecoder.next())
      let text = try name.value.string()
      #expect(text == "blocks.0")
      let end = try decoder.next()
      #expect(end == nil)
    }
    // 300 is the varint AC 02; -1 takes ten bytes.
    #expect(Array(message.bytes.prefix(3)) == [0x08, 0xAC, 0x02])
    #expect(message.bytes.count == 3 + 11 + 5 + 12)
  }

  @Test func packedAndRepeatedIntegersBothDecode() throws {
    try [UInt8]([0x0A, 0x03, 0x01, 0x96, 0x01]).withUnsafeBytes { raw in
      var decoder = ProtobufDecoder(raw)
      let values = try #require(try decoder.next()).value.ints()
      #expect(values == [1, 150])
    }
    let single = try #require(try fields([0x08, 0x07]).first).1.ints()
    #expect(single == [7])
  }

  @Test(
    arguments: [
      ([0x0A, 0x05, 0x01], "claims 5 bytes, but only 1"),
      ([0x08, 0x80], "past the end"),
      ([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "longer than 64 bits"),
      ([0x0B], "wire type 3"),
      ([0x00, 0x01], "out of range"),
      ([0x0D, 0x00, 0x00], "fixed-size"),
    ] as [([UInt8], String)])
  func malformedMessagesAreRefused(bytes: [UInt8], fragment: String) {
    do {
      _ = try fields(bytes)
      Issue.record("\(bytes) was accepted")
    } catch {
      #expect(error.reason.contains(fragment), "\(error.reason)")
    }
  }
}
