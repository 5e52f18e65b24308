import Formats
import Foundation
import TestSupport
import Testing

/// Bundles damaged after conversion: opening them must fail with one line naming the file.
@Suite struct BrokenBundleTests {
  struct Damage: Sendable, CustomStringConvertible {
    let name: String
    let reason: String
    let apply: @Sendable (String) throws -> Void
    var description: String { name }
  }

  static let shard = "model-00001-of-00001.safetensors"

  static func edit(_ file: String, _ change: (inout [UInt8]) -> Void) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    change(&bytes)
    try Data(bytes).write(to: URL(fileURLWithPath: file))
  }

  static func editJSON(_ file: String, _ change: (inout [String: Any]) -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
    change(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
  }

  static let damages: [Damage] = [
    Damage(name: "flipped data byte", reason: "CRC-32C") { path in
      try edit(path + "/" + shard) { $0[$0.count - 10] ^= 0x40 }
    },
    Damage(name: "flipped header byte (in a tensor name)", reason: "is not in graph.json") { path in
      try edit(path + "/" + shard) { $0[20] ^= 0x01 }
    },
    Damage(name: "truncated shard", reason: "the file has") { path in
      try edit(path + "/" + shard) { $0.removeLast(1000) }
    },
    Damage(name: "missing shard", reason: "is missing") { path in
      try FileManager.default.removeItem(atPath: path + "/" + shard)
    },
    Damage(name: "index names a file outside the bundle", reason: "outside the bundle folder") { path in
      try editJSON(path + "/model.safetensors.index.json") { index in
        var map = index["weight_map"] as! [String: String]
        map["stem.kernel"] = "../elsewhere.safetensors"
        index["weight_map"] = map
      }
    },
    Damage(name: "index and graph disagree", reason: "is missing from the index") { path in
      try editJSON(path + "/model.safetensors.index.json") { index in
        var map = index["weight_map"] as! [String: String]
        map["stem.kernel"] = nil
        index["weight_map"] = map
      }
    },
    Damage(name: "graph references a missing weight", reason: "uses weight 'nope'") { path in
      try editJSON(path + "/graph.json") { graph in
        var nodes = graph["nodes"] as! [[String: Any]]
        nodes[0]["weights"] = ["kernel": "nope", "bias": "stem.bias"]
        graph["nodes"] = nodes
      }
    },
    Damage(name: "overlapping safetensors offsets", reason: "overlaps the previous tensor") { path in
      // Move one tensor's range back by 4 bytes, keeping its size and the header length.
      try edit(path + "/" + shard) { bytes in
        let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        var header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let key = "\"blocks.0.norm1.scale\":{\"dtype\":\"F32\",\"shape\":[32],\"data_offsets\":["
        let start = header.range(of: key)!.upperBound
        let end = header[start...].firstIndex(of: "]")!
        let offsets = header[start..<end].split(separator: ",").map { Int($0)! }
        header.replaceSubrange(start..<end, with: "\(offsets[0] - 4),\(offsets[1] - 4)")
        var text = Array(header.utf8)
        while text.count < n { text.append(0x20) }
        bytes.replaceSubrange(8..<(8 + n), with: text)
      }
    },
    Damage(name: "duplicate key in graph.json", reason: "twice") { path in
      try edit(path + "/graph.json") { bytes in
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
          of: "\"format\" :", with: "\"format\" : 1, \"format\" :")
        bytes = Array(text.utf8)
      }
    },
    Damage(name: "unsupported major version", reason: "is not supported") { path in
      try editJSON(path + "/graph.json") { $0["format_version"] = "2.0" }
    },
    Damage(name: "graph.json of null", reason: "invalid value at top level: ") { path in
      try edit(path + "/graph.json") { $0 = Array("null".utf8) }
    },
  ]

  @Test(arguments: damages)
  func damagedBundlesAreRefused(damage: Damage) throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    try damage.apply(path)
    do {
      _ = try LoadedBundle(path: path)
      Issue.record("\(damage.name) was accepted")
    } catch let error as ExportFileError {
      #expect(error.path.hasPrefix(path), "\(error)")
      #expect(error.reason.contains(damage.reason), "\(damage.name): \(error)")
      #expect(!error.description.contains("\n"))
    }
  }

  @Test func checksumsCanBeSkippedButStructureIsAlwaysChecked() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    try Self.edit(path + "/" + Self.shard) { $0[$0.count - 10] ^= 0x40 }
    #expect(throws: ExportFileError.self) { try LoadedBundle(path: path) }
    _ = try LoadedBundle(path: path, checksums: false)
    try Self.edit(path + "/" + Self.shard) { $0.removeLast(4) }
    #expect(throws: ExportFileError.self) { try LoadedBundle(path: path, checksums: false) }
  }
}
