import ArgumentParser
import Conversion
import Foundation

/// The report file of a batch: one JSON object a line, each written as its checkpoint
/// finishes, so an interrupted batch leaves a report of what it did. A line that cannot be
/// written whole (a full disk) is taken back and stops the report, and the batch fails at its
/// end with ``failure``.
final class BatchLog: @unchecked Sendable {
  private let path: String
  private let descriptor: Int32
  private let lock = NSLock()
  private var firstFailure: String?
  private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = Console.nonFiniteEncoding
    return encoder
  }()

  /// Opens the report at `path` for appending, creating it when missing.
  init(path: String) throws {
    self.path = path
    // Non-blocking: a FIFO nobody reads is refused (ENXIO) rather than waited on forever.
    descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else {
      let cause = errno == ENXIO ? "it is a FIFO nobody reads" : String(cString: strerror(errno))
      throw ValidationError("\(path): cannot open the report file: \(cause)")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return }
    // Appended to, any other file (a model, a checkpoint) would be damaged: what is there is
    // read first, from the file just opened (the same device and inode).
    let reading = open(path, O_RDONLY | O_CLOEXEC)
    var readInfo = stat()
    let content: ReportContent =
      reading >= 0 && fstat(reading, &readInfo) == 0 && readInfo.st_dev == info.st_dev && readInfo.st_ino == info.st_ino
      ? Self.content(reading) : .unreadable
    guard content == .report else {
      if reading >= 0 { close(reading) }
      close(descriptor)
      let why =
        content == .unreadable
        ? "exists and cannot be read to check that it is a convert-all report"
        : "exists and is not a convert-all report (its first line is not a report's record)"
      throw ValidationError("--report \(path): \(why), so it is left as it is: name another file, or remove this one")
    }
    // A report whose last line was cut short (by a kill, or another program) is ended first,
    // so that this run's lines stay whole lines.
    var last: UInt8 = 0
    if pread(reading, &last, 1, info.st_size - 1) == 1, last != UInt8(ascii: "\n") {
      _ = write(descriptor, [UInt8(ascii: "\n")], 1)
    }
    close(reading)
  }

  deinit { close(descriptor) }

  /// What an existing report file holds.
  private enum ReportContent { case report, other, unreadable }

  /// Whether the file open at `descriptor` (not empty) starts like a report: lines that are JSON
  /// objects, the first whole one a record with a checkpoint's `input` and `status`, after
  /// none or more lines cut short (the start of an object: a batch killed while writing it).
  /// Only lines cut short, in a file under 1 MiB, count as a report too.
  private static func content(_ descriptor: Int32) -> ReportContent {
    let limit = 1 << 20
    var head = [UInt8](repeating: 0, count: limit)
    let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, limit, 0) }
    guard count > 0 else { return .unreadable }
    head.removeSubrange(count...)
    // A byte-order mark an editor saved the report with is no part of its first line.
    if head.starts(with: [0xEF, 0xBB, 0xBF]) { head.removeFirst(3) }
    for line in head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) where !line.isEmpty {
      guard line.first == UInt8(ascii: "{") else { return .other }
      if let record = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
        return record["input"] is String && record["status"] is String ? .report : .other
      }
    }
    return count < limit ? .report : .other
  }

  /// Why the report is incomplete: the first line that could not be written.
  var failure: String? { lock.withLock { firstFailure } }

  func append(_ record: BatchRecord) {
    guard let line = try? encoder.encode(record) else { return }
    let bytes = [UInt8](line) + [UInt8(ascii: "\n")]
    lock.withLock {
      guard firstFailure == nil else { return }
      // A line cut short is taken back, so that the report stays whole lines.
      let start = lseek(descriptor, 0, SEEK_END)
      var done = 0
      while done < bytes.count {
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
        if count < 0, errno == EINTR { continue }
        guard count > 0 else {
          let cause = count < 0 ? String(cString: strerror(errno)) : "nothing was written"
          if done > 0, start >= 0 { _ = ftruncate(descriptor, start) }
          firstFailure =
            "\(path): cannot write the report (\(cause)); it stops at the checkpoint before "
            + "\(record.input)"
          return
        }
        done += count
      }
    }
  }
}

/// The `--json` document of a batch: its summary and, when the report could not be written,
/// `error` saying so.
struct BatchJSON: Encodable {
  let summary: BatchSummary
  let error: String?

  private enum Key: String, CodingKey { case error }

  func encode(to encoder: Encoder) throws {
    try summary.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encodeIfPresent(error, forKey: .error)
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
    if summary.verified > 0 { rows.insert(["verified (converted by an earlier run)", "\(summary.verified)"], at: 2) }
    if summary.interrupted > 0 { rows.append(["interrupted (stopped under way)", "\(summary.interrupted)"]) }
    if summary.notStarted > 0 {
      let why = summary.stoppedBySignal == nil ? "after a failure" : "interrupted"
      rows.append(["not started (\(why))", "\(summary.notStarted)"])
    }
    rows.append(["bytes written or kept", Formatting.bytes(summary.bytes)])
    lines += InspectionText.table(rows, rightAligned: [1]).map { "  " + $0 }
    if !summary.slowest.isEmpty {
      lines.append(
        "  slowest: "
          + summary.slowest.map { "\($0.input) " + String(format: "%.1f s", $0.seconds) }
          .joined(separator: ", "))
    }
    if let signal = summary.stoppedBySignal {
      lines.append("  stopped by \(Self.name(of: signal)): run the same command again to convert the rest")
    }
    for failure in summary.failures.prefix(10) { lines.append("  failed: \(failure.error)") }
    if summary.failures.count > 10 {
      lines.append("  … and \(summary.failures.count - 10) more failures (see the report)")
    }
    return lines
  }

  /// `SIGINT`, `SIGTERM`, `SIGHUP`, or `signal N`.
  private static func name(of signal: Int32) -> String {
    [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signal] ?? "signal \(signal)"
  }
}
