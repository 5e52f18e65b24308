import Checkpoint
import Foundation

/// File names and sharding of a bundle folder (formats/bundle-v1.md, "Layout").
public enum BundleLayout {
  /// The graph document.
  public static let graphFile = "graph.json"
  /// The Hugging Face style index.
  public static let indexFile = "model.safetensors.index.json"
  /// Default largest shard: 2 GiB (see formats/bundle-v1.md for why).
  public static let defaultShardSize = 2 << 30

  /// `model-00001-of-00003.safetensors`.
  public static func shardName(_ index: Int, of count: Int) -> String {
    "model-\(fiveDigits(index))-of-\(fiveDigits(count)).safetensors"
  }

  /// Whether `name` is a shard's name as ``shardName(_:of:)`` makes them (index 1 to the count).
  public static func isShardName(_ name: String) -> Bool {
    let prefix = "model-"
    let suffix = ".safetensors"
    guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return false }
    let numbers = name.dropFirst(prefix.count).dropLast(suffix.count)
      .split(separator: "-", omittingEmptySubsequences: false)
    guard numbers.count == 3, numbers[1] == "of",
      [numbers[0], numbers[2]].allSatisfy({ $0.count >= 5 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
      let index = Int(numbers[0]), let count = Int(numbers[2])
    else { return false }
    return index >= 1 && index <= count
  }

  private static func fiveDigits(_ n: Int) -> String {
    String(repeating: "0", count: max(0, 5 - String(n).count)) + String(n)
  }

  /// Splits tensors, in order, into shards of at most `limit` data bytes; a tensor larger
  /// than the limit gets a shard of its own.
  public static func shards(sizes: [Int], limit: Int) -> [Range<Int>] {
    var shards: [Range<Int>] = []
    var start = 0
    var bytes = 0
    for (i, size) in sizes.enumerated() {
      if i > start, bytes + size > limit {
        shards.append(start..<i)
        start = i
        bytes = 0
      }
      bytes += size
    }
    if start < sizes.count || sizes.isEmpty { shards.append(start..<sizes.count) }
    return shards
  }

  /// A JSON document as mixer-convert writes every one: pretty-printed with sorted keys (so
  /// the same value gives the same bytes), ending in a newline.
  public static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value)) + [0x0A]
  }

  /// Whether a file name listed in an index or manifest stays inside the bundle folder.
  public static func isPlainFileName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
      && !name.unicodeScalars.contains { $0.value < 0x20 }
  }
}

/// `model.safetensors.index.json`: `{"metadata": {"total_size": N}, "weight_map": {name: file}}`.
public struct BundleIndex: Codable, Equatable, Sendable {
  public struct Metadata: Codable, Equatable, Sendable {
    /// Bytes of tensor data over all shards.
    public var totalSize: Int
    enum CodingKeys: String, CodingKey { case totalSize = "total_size" }
  }

  public var metadata: Metadata
  public var weightMap: [String: String]

  public init(totalSize: Int, weightMap: [String: String]) {
    metadata = Metadata(totalSize: totalSize)
    self.weightMap = weightMap
  }

  enum CodingKeys: String, CodingKey { case metadata, weightMap = "weight_map" }
}
