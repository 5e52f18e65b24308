import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal; any thread may
/// update it.
final class ProgressBar: @unchecked Sendable {
  /// What is counted.
  enum Units { case bytes, checkpoints }

  private let label: String
  private let units: Units
  private let enabled: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast
  private let lock = NSLock()

  init(label: String, units: Units = .bytes, enabled: Bool) {
    self.label = label
    self.units = units
    self.enabled = enabled && Console.standardErrorIsTerminal
  }

  /// Redraws for `done` of `total` (at most ten times a second).
  func update(done: Int, total: Int) {
    lock.lock()
    defer { lock.unlock() }
    guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
    lastDraw = Date()
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = 30
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let elapsed = max(Date().timeIntervalSince(start), 1e-6)
    let detail: String
    switch units {
    case .bytes: detail = Formatting.bytes(done) + " " + Formatting.bytes(Int(Double(done) / elapsed)) + "/s"
    case .checkpoints:
      let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
      detail =
        "\(done)/\(total) checkpoints" + (done > 0 && done < total ? String(format: ", %.0f s left", remaining) : "")
    }
    Console.writeStandardError("\r\(label) [\(bar)] \(Int(fraction * 100))% \(detail)  ")
  }

  /// Clears the line.
  func finish() {
    guard enabled else { return }
    Console.writeStandardError("\r\u{1B}[2K")
  }
}
