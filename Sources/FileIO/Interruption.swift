import CSupport

/// A SIGINT, SIGTERM or SIGHUP that arrived while outputs were being written.
///
/// Code writing an output calls ``Interruption/check()`` at every step (``FileWriter`` does on
/// every write); the error it throws unwinds to the owners of the outputs, which remove their
/// temporaries as they go (``AtomicOutput``), and the process then exits with status
/// 128 + ``signal``.
public struct Interrupted: Error, Equatable, Sendable, CustomStringConvertible {
  /// The signal's number.
  public let signal: Int32

  /// The conventional exit status of a process ended by this signal.
  public var exitStatus: Int32 { 128 + signal }

  public init(signal: Int32) { self.signal = signal }

  public var description: String { "interrupted by signal \(signal)" }
}

/// Whether a signal asked the process to stop while it writes outputs.
public enum Interruption {
  /// Throws ``Interrupted`` when SIGINT, SIGTERM or SIGHUP has arrived since the signals were
  /// first caught: by the first ``AtomicOutput`` or ``windingDown(onSignal:_:)`` (before that,
  /// the signals keep their default action).
  public static func check() throws(Interrupted) {
    if let signal { throw Interrupted(signal: signal) }
  }

  /// The first SIGINT, SIGTERM or SIGHUP that arrived while they were caught, if any.
  public static var signal: Int32? {
    let signal = csupport_interrupt_signal()
    return signal == 0 ? nil : signal
  }

  /// Makes every signal after the first wait, like the first, for the temporaries to be
  /// removed (and a commit under way to complete), instead of ending the process at once: for
  /// a process a parent winds down, whose repeated signals are not a user's insistence (the
  /// SIGTERM of the parent's own death after the one it passed on, a terminal's second Ctrl-C
  /// that ends the parent at once).
  public static func repeatedSignalsWaitForCleanup() {
    TemporaryRegistry.repeatsEndAtOnce.store(false, ordering: .relaxed)
  }

  /// Runs `body` with SIGINT, SIGTERM and SIGHUP caught, for work that winds down by itself
  /// when one arrives: the first calls `onSignal` (on another thread, at once: to pass it on to
  /// child processes, say) and sets ``signal``, which `body` polls to stop starting work; a
  /// second, a good while later, ends the process at once. The caller reports what was done
  /// and exits with ``Interrupted/exitStatus`` once `body` returns.
  public static func windingDown<T>(
    onSignal: @escaping @Sendable (Int32) -> Void, _ body: () throws -> T
  ) rethrows -> T {
    let token = TemporaryRegistry.shared.hold(onSignal)
    defer { TemporaryRegistry.shared.release(token) }
    return try body()
  }
}
