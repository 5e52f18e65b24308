import Foundation

/// What writing an output has to tell its user without failing: files it kept rather than
/// delete, left under a hidden temporary's name beside the output (a file put into an old
/// output while it was being replaced, or an old output a killed run had displaced that holds
/// more than an export). ``AtomicOutput`` and ``StaleTemporaries`` post them here, each a
/// sentence naming the kept path; the command line prints each as a warning.
public final class OutputNotices: @unchecked Sendable {
  /// The process's notices.
  public static let shared = OutputNotices()

  /// The most notices kept while none is delivered.
  static let maxHeld = 1000

  private let lock = NSLock()
  private var handler: (@Sendable (String) -> Void)?
  private var held: [String] = []

  private init() {}

  /// Sends every notice to `handler` from now on, those posted before first.
  public func deliver(to handler: @escaping @Sendable (String) -> Void) {
    let earlier = lock.withLock {
      self.handler = handler
      defer { held = [] }
      return held
    }
    for notice in earlier { handler(notice) }
  }

  /// Posts `notice`: to the handler, or kept until one is set.
  func post(_ notice: String) {
    let handler = lock.withLock {
      if self.handler == nil, held.count < Self.maxHeld { held.append(notice) }
      return self.handler
    }
    handler?(notice)
  }

  /// Posts, when `kept` holds any, that the entries `kept` (put there as `how` says) are kept in
  /// the folder `path`, after `lead`: `lead` + `a and b` + `how` + `are kept in PATH`.
  func postKept(_ kept: [String], _ how: String, in path: String, lead: String = "") {
    guard !kept.isEmpty else { return }
    post("\(lead)\(kept.namedFiles) \(how) \(kept.count == 1 ? "is" : "are") kept in \(path)")
  }

  /// The notices posted while no handler was set (for tests).
  var undelivered: [String] { lock.withLock { held } }
}
