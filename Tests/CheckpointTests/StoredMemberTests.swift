import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// Stored members read straight from the archive (``ZipDirectory``, ``StoredEntryReader``)
/// instead of through libzip. `NpzFileTests.storedAndDeflatedFixturesHoldTheSameArrays`
/// compares the two paths' bytes on the fixtures.
@Suite struct StoredMemberTests {
  private static let zip64Path = Fixtures.directory + "/archives/zip64-directory.npz"

  @Test func storedMembersAreReadDirectlyAndDeflatedOnesThroughLibzip() throws {
    let stored = try ZipArchive(path: Fixtures.path("mixer_tiny"))
    let deflated = try ZipArchive(path: Fixtures.path("mixer_tiny_compressed"))
    for index in 0..<stored.entryCount {
      #expect(try stored.open(stored.entry(at: index)) is StoredEntryReader)
      #expect(try deflated.open(deflated.entry(at: index)) is LibzipEntryReader)
    }
  }

  /// The zip64 extra field's offset, and the zip64 end record alone (the classic end record's
  /// counts, size and offset set to all ones, as a directory past 4 GiB has them).
  @Test func zip64DirectoriesAreFollowed() throws {
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.zip64Path)))
    var onlyZip64 = original
    let end = onlyZip64.count - 22
    #expect(onlyZip64[end..<(end + 4)] == [0x50, 0x4B, 0x05, 0x06])
    for i in (end + 8)..<(end + 20) { onlyZip64[i] = 0xFF }
    for bytes in [original, onlyZip64] {
      let archive = try ZipArchive(bytes: bytes, name: "zip64-directory.npz")
      for index in 0..<archive.entryCount {
        #expect(try archive.open(archive.entry(at: index)) is StoredEntryReader)
      }
      let file = try NpzFile(bytes: bytes, name: "zip64-directory.npz")
      #expect(try file.readFloats(#require(file.array("a"))) == (0..<60).map(Float.init))
      #expect(try file.readFloats(#require(file.array("b"))) == (0..<12).map(Float.init))
    }
    // Member b's sizes are in its zip64 extra field; a size other than the directory's is refused.
    original.withUnsafeBytes { raw in
      let directory = ZipDirectory(.memory(raw), fileSize: raw.count)
      #expect(directory?.records.map(\.compressedSize) == [128 + 240, 128 + 48])
      let b = Array("b.npy".utf8)
      #expect(directory?.dataStart(of: 1, name: b, size: 128 + 48, in: .memory(raw), fileSize: raw.count) != nil)
      #expect(directory?.dataStart(of: 1, name: b, size: 128 + 44, in: .memory(raw), fileSize: raw.count) == nil)
    }
    let onDisk = try ZipArchive(path: Self.zip64Path)
    #expect(try onDisk.open(onDisk.entry(at: 1)) is StoredEntryReader)
  }

  /// Bytes that are not a directory give none, never a crash: end records with counts,
  /// sizes and offsets beyond the data, a zip64 locator pointing nowhere.
  @Test func damagedDirectoriesAreNotFollowed() {
    var endRecord: [UInt8] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
    endRecord += [0x10, 0, 0, 0, 0x00, 0, 0, 0, 0, 0]
    var hugeDirectory = endRecord
    hugeDirectory[8] = 3
    hugeDirectory[10] = 3
    hugeDirectory[12...15] = [0xFF, 0xFF, 0xFF, 0x7F]
    let locator: [UInt8] = [0x50, 0x4B, 0x06, 0x07, 0, 0, 0, 0] + [UInt8](repeating: 0xEE, count: 8) + [1, 0, 0, 0]
    let cases: [[UInt8]] = [
      [], [UInt8](repeating: 0, count: 100), endRecord, hugeDirectory, locator + endRecord,
      [UInt8](repeating: 0x50, count: 30) + endRecord,
    ]
    for bytes in cases {
      bytes.withUnsafeBytes { raw in
        #expect(ZipDirectory(.memory(raw), fileSize: bytes.count) == nil, "\(bytes.count) bytes")
      }
    }
  }

  @Test func aCorruptStoredMemberFailsItsCRC() throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.zip64Path)))
    bytes[55 + 128 + 17] ^= 1  // member a: local header (30 + 5 + 20 bytes), npy header (128), data
    let file = try NpzFile(bytes: bytes, name: "zip64-directory.npz")
    let array = try #require(file.array("a"))
    #expect(throws: CheckpointError.self) { try file.readFloats(array) }
    do {
      _ = try file.readFloats(array)
    } catch let error as CheckpointError {
      #expect(error.description.contains("CRC-32 mismatch"), "\(error)")
    }
  }
}
