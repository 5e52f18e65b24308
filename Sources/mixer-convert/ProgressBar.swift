import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar {
  private let label: String
  private let enabled: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast

  init(label: String, enabled: Bool) {
    self.label = label
    self.enabled = enabled && Console.standardErrorIsTerminal
  }

  /// Redraws for `done` of `total` bytes (at most ten times a second).
  func update(done: Int, total: Int) {
    guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
    lastDraw = Date()
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = 30
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let elapsed = max(Date().timeIntervalSince(start), 1e-6)
    let rate = Formatting.bytes(Int(Double(done) / elapsed)) + "/s"
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(Int(fraction * 100))% \(Formatting.bytes(done)) \(rate)  ".utf8))
  }

  /// Clears the line.
  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
  }
}
