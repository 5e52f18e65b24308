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
    encoder.nonConformingFloatEncodingStrategy = Console.nonFiniteEncoding
    return encoder
  }()

  /// Opens the report at `path` for appending, creating it when missing.
  init(path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw ValidationError("\(path): cannot open the report file: \(String(cString: strerror(errno)))")
    }
    handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
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
