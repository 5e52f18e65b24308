import ArgumentParser
import Conversion
import Foundation

/// The report file of a batch: one JSON object a line, each written and flushed as its
/// checkpoint finishes, so an interrupted batch leaves a report of what it did.
final class BatchLog: @unchecked Sendable {
  private let handle: FileHandle
  private let lock = NSLock()
  private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  init(path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
    else {
      throw ValidationError("\(path): cannot create the report file")
    }
    self.handle = handle
  }

  func append(_ record: BatchRecord) {
    guard let line = try? encoder.encode(record) else { return }
    lock.lock()
    defer { lock.unlock() }
    handle.write(line + Data("\n".utf8))
  }
}

/// The end-of-batch table on the terminal.
enum BatchSummaryText {
  static func lines(_ summary: BatchSummary, total: Int, shard: BatchShard?) -> [String] {
    var lines = [
      "convert-all: \(total) checkpoint" + (total == 1 ? "" : "s") + (shard.map { " (share \($0))" } ?? "")
        + " in " + String(format: "%.1f s", summary.seconds)
    ]
    var rows = [
      ["converted", "\(summary.ok)"], ["skipped (up to date)", "\(summary.skipped)"], ["failed", "\(summary.failed)"],
    ]
    if summary.notStarted > 0 { rows.append(["not started (after a failure)", "\(summary.notStarted)"]) }
    rows.append(["bytes written or kept", Formatting.bytes(summary.bytes)])
    lines += InspectionText.table(rows, rightAligned: [1]).map { "  " + $0 }
    if !summary.slowest.isEmpty {
      lines.append(
        "  slowest: "
          + summary.slowest.map { "\($0.input) " + String(format: "%.1f s", $0.seconds) }
          .joined(separator: ", "))
    }
    for failure in summary.failures.prefix(10) { lines.append("  failed: \(failure.error)") }
    if summary.failures.count > 10 {
      lines.append("  … and \(summary.failures.count - 10) more failures (see the report)")
    }
    return lines
  }
}
