import FileIO
import Foundation

/// One of N shares of a batch (`K/N`, K from 0 to N − 1, as `SLURM_ARRAY_TASK_ID` and
/// `JOB_COMPLETION_INDEX` count): a checkpoint belongs to share `SHA-256(relative path) mod N`,
/// so N processes given the same inputs cover every checkpoint exactly once, and a checkpoint
/// stays in its share when others are added to the inputs.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
  public let index: Int
  public let count: Int

  /// Parses `K/N`; nil unless 0 ≤ K < N and N ≥ 1.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 0, index < count
    else { return nil }
    self.index = index
    self.count = count
  }

  /// Whether `item` belongs to this share.
  public func contains(_ item: BatchItem) -> Bool {
    // The first 15 hex digits: 60 bits, exact in an Int.
    let value = Int(SHA256Stream.hex(of: Array(item.relativePath.utf8)).prefix(15), radix: 16)!
    return value % count == index
  }

  public var description: String { "\(index)/\(count)" }
}
