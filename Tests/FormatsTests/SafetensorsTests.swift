import Checkpoint
import FileIO
import Foundation
import TestSupport
import Testing

@testable import Formats

@Suite struct SafetensorsTests {
  /// A file with the given header JSON (padded to 8) and `data` bytes after it.
  static func file(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    var text = Array(header.utf8)
    while text.count % 8 != 0 { text.append(0x20) }
    let n = declaredLength ?? UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + text + data
  }

  private func open(_ bytes: [UInt8]) throws -> SafetensorsFile {
    let dir = TemporaryDirectory()
    return try SafetensorsFile(path: dir.write("x.safetensors", bytes))
  }

  @Test func writtenHeadersRoundTrip() throws {
    let entries = [
      SafetensorsEntry(name: "b", dtype: .float32, shape: [2, 3], begin: 0, end: 24),
      SafetensorsEntry(name: "a \"quoted\"", dtype: .float32, shape: [], begin: 24, end: 28),
      SafetensorsEntry(name: "z", dtype: .float32, shape: [0, 5], begin: 28, end: 28),
    ]
    let header = SafetensorsHeader.encode(entries)
    #expect(header.count % 8 == 0)
    let data = [UInt8](repeating: 7, count: 28)
    let file = try open(header + data)
    #expect(file.entries.count == 3)
    #expect(file.entries["a \"quoted\""]?.shape == [])
    #expect(Array(file.bytes(of: "b")!) == [UInt8](repeating: 7, count: 24))
    #expect(file.bytes(of: "z")!.count == 0)
  }

  static let f32 = #""dtype":"F32","shape":[2]"#

  @Test(arguments: [
    ("too-large", file(header: "{}", data: [], declaredLength: 200_000_000), "exceeds the 100000000-byte limit"),
    ("past-end", file(header: "{}", data: [], declaredLength: 4096), "does not fit the file"),
    ("not-object", file(header: "[1]", data: []), "does not start with '{'"),
    (
      "duplicate",
      file(
        header: #"{"w":{\#(f32),"data_offsets":[0,8]},"w":{\#(f32),"data_offsets":[8,16]}}"#,
        data: [UInt8](repeating: 0, count: 16)), "twice"
    ),
    (
      "overlap",
      file(
        header: #"{"a":{\#(f32),"data_offsets":[0,8]},"b":{\#(f32),"data_offsets":[4,12]}}"#,
        data: [UInt8](repeating: 0, count: 12)), "overlaps the previous tensor"
    ),
    (
      "gap",
      file(
        header: #"{"a":{\#(f32),"data_offsets":[0,8]},"b":{\#(f32),"data_offsets":[12,20]}}"#,
        data: [UInt8](repeating: 0, count: 20)), "leaves a gap"
    ),
    (
      "size", file(header: #"{"a":{\#(f32),"data_offsets":[0,12]}}"#, data: [UInt8](repeating: 0, count: 12)),
      "occupies 12 bytes but F32 [2] needs 8"
    ),
    (
      "trailing", file(header: #"{"a":{\#(f32),"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 9)),
      "the file has"
    ),
    (
      "short", file(header: #"{"a":{\#(f32),"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 4)),
      "the file has"
    ),
    (
      "dtype", file(header: #"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0]),
      "unsupported dtype"
    ),
    (
      "field", file(header: #"{"a":{\#(f32),"data_offsets":[0,8],"x":1}}"#, data: [UInt8](repeating: 0, count: 8)),
      "unknown field"
    ),
    (
      "overflow",
      file(
        header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
        data: [UInt8](repeating: 0, count: 8)), "overflows"
    ),
    (
      "negative",
      file(
        header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
        data: [UInt8](repeating: 0, count: 8)), "non-negative"
    ),
    (
      "rank",
      file(
        header: #"{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}"#,
        data: [UInt8](repeating: 0, count: 8)), "has 10 dimensions, more than 8"
    ),
    ("metadata", file(header: #"{"__metadata__":{"k":1}}"#, data: []), "is not a string"),
    ("tiny", [1, 2, 3], "shorter than the 8-byte"),
  ])
  func malformedFilesAreRefused(name: String, bytes: [UInt8], fragment: String) {
    #expect(throws: ExportFileError.self) { try open(bytes) }
    do { _ = try open(bytes) } catch let error as ExportFileError {
      #expect(error.reason.contains(fragment), "\(name): \(error)")
    } catch { Issue.record("\(name): \(error)") }
  }

  @Test func shardPlanningRespectsTheLimit() {
    #expect(BundleLayout.shards(sizes: [10, 10, 10], limit: 25) == [0..<2, 2..<3])
    #expect(BundleLayout.shards(sizes: [30, 10, 10], limit: 25) == [0..<1, 1..<3])
    #expect(BundleLayout.shards(sizes: [10, 30, 10], limit: 25) == [0..<1, 1..<2, 2..<3])
    #expect(BundleLayout.shards(sizes: [5, 5], limit: 1 << 30) == [0..<2])
    #expect(BundleLayout.shardName(2, of: 13) == "model-00002-of-00013.safetensors")
    #expect(
      !BundleLayout.isPlainFileName("../x.safetensors") && !BundleLayout.isPlainFileName("a/b")
        && BundleLayout.isPlainFileName("x"))
  }

  @Test func crc32cHasTheStandardCheckValue() {
    let check = Array("123456789".utf8)
    #expect(check.withUnsafeBytes { CRC32C.hex(CRC32C.checksum($0)) } == "e3069283")
    // Continuing over a split gives the same value.
    let split = check.withUnsafeBytes { raw in
      CRC32C.checksum(
        UnsafeRawBufferPointer(rebasing: raw[4...]),
        continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<4])))
    }
    #expect(CRC32C.hex(split) == "e3069283")
  }
}
