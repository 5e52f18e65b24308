import CSupport
import Foundation
import TestSupport
import Testing

@testable import FileIO

/// SHA-256 on a background thread against the one in line, CRC-32 and CRC-32C against their
/// definition, and large writes (which start the kernel's write-back as they go) read back
/// byte for byte.
@Suite struct ChecksumTests {
  /// Deterministic bytes that differ at every position of a few megabytes.
  private func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 33)
    }
  }

  /// A reflected CRC one bit at a time, as its definition reads.
  private func bitwiseCRC(_ polynomial: UInt32, _ bytes: ArraySlice<UInt8>, from crc: UInt32) -> UInt32 {
    var c = ~crc
    for byte in bytes {
      c ^= UInt32(byte)
      for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ polynomial : c >> 1 }
    }
    return ~c
  }

  @Test func crcCheckValues() {
    let check = Array("123456789".utf8)
    check.withUnsafeBytes {
      #expect(CRC32.checksum($0) == 0xCBF4_3926)
      #expect(CRC32C.checksum($0) == 0xE306_9283)
    }
  }

  /// The folding paths (64 bytes or more; 256 or more four blocks to a register, where the CPU
  /// has VPCLMULQDQ) and the table path, at every length around the folds' 16-, 64- and
  /// 256-byte steps, at odd alignments, continued from a running value and split at odd
  /// places, equal the bit-at-a-time definition.
  @Test func crcsEqualTheirDefinition() {
    let data = pattern(70_000, seed: 11)
    let lengths =
      Array(0...200) + [255, 256, 257, 271, 319, 320, 335, 383, 384, 511, 512, 513, 527, 575, 767, 768, 1000]
      + [4096 + 13, 65_536, 69_990]
    for (polynomial, crc, table) in [
      (UInt32(0xEDB8_8320), CRC32.checksum, csupport_crc32_portable),
      (UInt32(0x82F6_3B78), CRC32C.checksum, csupport_crc32c_portable),
    ] as [(UInt32, (UnsafeRawBufferPointer, UInt32) -> UInt32, (UInt32, UnsafeRawPointer?, Int) -> UInt32)] {
      for length in lengths {
        let offset = length % 7
        let start: UInt32 = length % 3 == 0 ? 0 : UInt32(truncatingIfNeeded: length &* 2_654_435_761)
        let expected = bitwiseCRC(polynomial, data[offset..<(offset + length)], from: start)
        data.withUnsafeBytes { raw in
          let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
          #expect(crc(bytes, start) == expected, "length \(length)")
          #expect(table(start, bytes.baseAddress, length) == expected, "table, length \(length)")
          let cut = length / 3 + 1
          if cut < length {
            let first = crc(UnsafeRawBufferPointer(rebasing: bytes[..<cut]), start)
            #expect(crc(UnsafeRawBufferPointer(rebasing: bytes[cut...]), first) == expected, "split, length \(length)")
          }
        }
      }
    }
  }

  /// The plain-C SHA-256 of `bytes`, the reference for the accelerated one.
  private func reference(_ bytes: ArraySlice<UInt8>) -> String {
    var stream = SHA256Stream.portable()
    bytes.withUnsafeBytes { stream.update($0) }
    return stream.hex()
  }

  /// The examples of FIPS 180-2 (appendix B), by both paths, the last fed in uneven pieces.
  @Test func sha256GivesTheStandardsExamples() {
    let examples: [(String, String)] = [
      ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
      (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]
    for (message, digest) in examples {
      for var stream in [SHA256Stream(), SHA256Stream.portable()] {
        Array(message.utf8).withUnsafeBytes { bytes in
          var at = 0
          var piece = 1
          while at < bytes.count {
            let end = min(at + piece, bytes.count)
            stream.update(UnsafeRawBufferPointer(rebasing: bytes[at..<end]))
            at = end
            piece = piece * 3 + 1
          }
        }
        #expect(stream.hex() == digest, "\(message.prefix(8))… (\(message.count) bytes)")
      }
    }
  }

  /// A file's digest is coreutils' sha256sum's (another implementation altogether).
  @Test func fileDigestEqualsSha256sum() throws {
    let dir = TemporaryDirectory()
    let path = dir.write("data", pattern(3 << 20 | 77, seed: 8))
    let process = Process()
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    process.standardOutput = output
    try process.run()
    let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(try SHA256Stream.file(path) == String(printed.prefix(64)))
  }

  /// Every length around the 64-byte block and the padding's 56-byte limit, at odd alignments
  /// and split at odd places, and a megabyte, equal the plain-C digest.
  @Test func sha256EqualsThePortableOne() {
    let data = pattern(1 << 20, seed: 5)
    for length in Array(0...200) + [255, 256, 1000, 4096 + 13, (1 << 20) - 7] {
      let offset = length % 7
      let slice = data[offset..<(offset + length)]
      var whole = SHA256Stream()
      var split = SHA256Stream()
      slice.withUnsafeBytes { bytes in
        whole.update(bytes)
        let cut = length / 3 + 1
        split.update(UnsafeRawBufferPointer(rebasing: bytes[..<min(cut, length)]))
        split.update(UnsafeRawBufferPointer(rebasing: bytes[min(cut, length)...]))
      }
      #expect(whole.hex() == reference(slice), "length \(length)")
      #expect(split.hex() == reference(slice), "split, length \(length)")
    }
  }

  /// Two streams hashed together, of equal and unequal lengths, each with a partial block
  /// pending before, give each stream's own digest.
  /// The same with the first stream in plain C (pairing then hashes one after the other).
  @Test(arguments: [false, true])
  func pairedSHA256EqualsEachAlone(firstInPlainC: Bool) {
    let data = pattern(300_000, seed: 9)
    for (head, firstLength, secondLength) in [
      (0, 0, 0), (0, 64, 64), (5, 100_000, 100_000), (63, 100_000, 37), (1, 0, 70_001), (17, 129_003, 64_000),
    ] {
      let first = data[0..<(head + firstLength)]
      let second = data[150_000..<(150_000 + head + secondLength)]
      var a = firstInPlainC ? SHA256Stream.portable() : SHA256Stream()
      var b = SHA256Stream()
      first.withUnsafeBytes { x in
        second.withUnsafeBytes { y in
          a.update(UnsafeRawBufferPointer(rebasing: x[..<head]))
          b.update(UnsafeRawBufferPointer(rebasing: y[..<(head / 2)]))
          SHA256Stream.update(
            &a, UnsafeRawBufferPointer(rebasing: x[head...]), &b, UnsafeRawBufferPointer(rebasing: y[(head / 2)...]))
        }
      }
      #expect(a.hex() == reference(first), "first of \(firstLength), \(secondLength)")
      #expect(b.hex() == reference(second), "second of \(firstLength), \(secondLength)")
    }
  }

  @Test func backgroundDigestOfKnownInputs() {
    let empty = BackgroundSHA256()
    #expect(empty.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    let abc = BackgroundSHA256()
    Array("abc".utf8).withUnsafeBytes { abc.update($0) }
    #expect(abc.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(abc.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hex() twice")
  }

  /// Pieces of every size class — tiny, across a staging buffer's end, larger than all the
  /// buffers together — from one reused buffer the caller overwrites after each update.
  @Test func backgroundDigestEqualsTheInlineOne() {
    let staging = BackgroundSHA256.stagingBytes
    let sizes = [
      0, 1, 7, staging - 3, 5, staging, 2 * staging + 11, 64, BackgroundSHA256.stagingBuffers * staging + 1, 3,
    ]
    let data = pattern(sizes.reduce(0, +), seed: 42)
    let background = BackgroundSHA256()
    var inline = SHA256Stream()
    var reused = [UInt8](repeating: 0, count: sizes.max()!)
    var at = 0
    for size in sizes {
      reused.replaceSubrange(0..<size, with: data[at..<(at + size)])
      reused.withUnsafeBytes { background.update(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
      reused.withUnsafeBytes { inline.update(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
      for i in 0..<size { reused[i] = ~reused[i] }  // the hash must have copied what it needs
      at += size
    }
    #expect(background.hex() == inline.hex())
  }

  /// A hasher dropped while its queue still hashes (a write abandoned on a full disk) must go
  /// quietly: its buffers outlive it until the last block is done.
  @Test func abandonedMidStreamIsHarmless() {
    let data = pattern(BackgroundSHA256.stagingBuffers * BackgroundSHA256.stagingBytes + 17, seed: 3)
    for _ in 0..<20 {
      let abandoned = BackgroundSHA256()
      data.withUnsafeBytes { abandoned.update($0) }
    }
    let kept = BackgroundSHA256()
    var inline = SHA256Stream()
    data.withUnsafeBytes {
      kept.update($0)
      inline.update($0)
    }
    #expect(kept.hex() == inline.hex())
  }

  /// Writes well past the write-back step in pieces of mixed sizes, patches an early byte, and
  /// reads the file back.
  /// Through the page cache and past it (`O_DIRECT` where the file system allows it, as the
  /// test folder's ext4 does here): buffer-sized, tiny and unaligned pieces, a flush half-way
  /// (after which the writer goes on through the page cache at the right offset) and a patch.
  @Test(arguments: [false, true])
  func largeWritesReadBackExactly(bypassingPageCache: Bool) throws {
    let dir = TemporaryDirectory()
    let data = pattern(21 << 20, seed: 7)
    let writer = try FileWriter(creating: dir.file("big"), bypassingPageCache: bypassingPageCache)
    #expect(writer.isBypassingPageCache == bypassingPageCache)
    var at = 0
    let sizes = [100, 3 << 20, 1, 9 << 20, 12345, (1 << 20) - 1] + [Int](repeating: 1 << 19, count: 40)
    for (step, size) in sizes.enumerated() {
      let end = min(at + size, data.count)
      try data[at..<end].withUnsafeBytes { try writer.write($0) }
      at = end
      if step == 20 {
        try writer.flush()
        #expect(!writer.isBypassingPageCache)
      }
    }
    try data[at...].withUnsafeBytes { try writer.write($0) }
    try writer.patch([data[5] ^ 0xff], at: 5)
    try writer.synchronize()
    var expected = data
    expected[5] ^= 0xff
    #expect(writer.offset == data.count)
    #expect(FileManager.default.contents(atPath: dir.file("big")) == Data(expected))
  }

  /// A file written past the page cache and synchronized with no flush before: the bytes
  /// after the last whole block go through the page cache at the end (and into the hash, when
  /// the writer computes one).
  @Test(arguments: [false, true])
  func directWritesEndWithTheirTail(hashing: Bool) throws {
    let dir = TemporaryDirectory()
    for count in [0, 1, 4095, 4096, 4097, (1 << 20) + 5, 3 << 20, (7 << 20) + 4095] {
      let data = pattern(count, seed: UInt64(count))
      let writer = try FileWriter(creating: dir.file("f\(count)"), bypassingPageCache: true, hashing: hashing)
      try data.withUnsafeBytes { try writer.write($0) }
      try writer.synchronize()
      #expect(FileManager.default.contents(atPath: dir.file("f\(count)")) == Data(data), "\(count) bytes")
      if hashing { #expect(try writer.sha256() == digest(data), "\(count) bytes") }
    }
  }

  /// A writer that hashes what it writes, past the page cache (the hash fed from the direct
  /// writes' buffers, then from its own once a flush half-way moves the rest through the page
  /// cache) and through it: the digest is the file's, whatever the pieces.
  @Test(arguments: [false, true])
  func hashedWritesDigestTheFile(bypassingPageCache: Bool) throws {
    let dir = TemporaryDirectory()
    let data = pattern(13 << 20, seed: 11)
    let writer = try FileWriter(creating: dir.file("hashed"), bypassingPageCache: bypassingPageCache, hashing: true)
    #expect(writer.isBypassingPageCache == bypassingPageCache)
    var reused = [UInt8](repeating: 0, count: 3 << 20)
    var at = 0
    let sizes = [7, 3 << 20, 4096, 1, (1 << 20) + 3, 65536] + [Int](repeating: 1 << 19, count: 18)
    for (step, size) in sizes.enumerated() {
      let end = min(at + size, data.count)
      reused.replaceSubrange(0..<(end - at), with: data[at..<end])
      try reused.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<(end - at)])) }
      for i in 0..<(end - at) { reused[i] = ~reused[i] }  // the hash must not read the caller's buffer later
      at = end
      if step == 12 { try writer.flush() }
    }
    try data[at...].withUnsafeBytes { try writer.write($0) }
    try writer.synchronize()
    #expect(try writer.sha256() == digest(data))
    #expect(FileManager.default.contents(atPath: dir.file("hashed")) == Data(data))
  }

  private func digest(_ bytes: [UInt8]) -> String {
    var stream = SHA256Stream()
    bytes.withUnsafeBytes { stream.update($0) }
    return stream.hex()
  }
}
