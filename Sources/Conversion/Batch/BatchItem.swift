import Foundation

/// One checkpoint of a batch: where it is, the relative path its output is named after, and
/// the other columns of the list it came from.
public struct BatchItem: Sendable, Equatable {
  /// The checkpoint to read.
  public let checkpoint: String
  /// Its path relative to the folder it was found in (or as its list names it), with `.npz`:
  /// the output is `OUT_DIR/<this without .npz><the format's suffix>`.
  public let relativePath: String
  /// The other columns of its CSV row, in the file's order.
  public let columns: [Column]

  /// A CSV column's name and value.
  public struct Column: Sendable, Equatable, Encodable {
    public let name: String
    public let value: String
  }

  public init(checkpoint: String, relativePath: String, columns: [Column] = []) {
    self.checkpoint = checkpoint
    self.relativePath = relativePath
    self.columns = columns
  }

  /// The columns by name for the report (the first of a repeated name), nil when there are none.
  public var columnValues: [String: String]? {
    columns.isEmpty ? nil : Dictionary(columns.map { ($0.name, $0.value) }) { first, _ in first }
  }

  /// The output path for this item in `directory` (relative when it is), for `format`'s suffix.
  public func output(in directory: String, suffix: String) -> String {
    let stem = relativePath.lowercased().hasSuffix(".npz") ? String(relativePath.dropLast(4)) : relativePath
    return (directory as NSString).appendingPathComponent(stem + suffix)
  }
}
