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

  public var description: String { "interrupted by signal \(signal)" }
}

/// Whether a signal asked the process to stop while it writes outputs.
public enum Interruption {
  /// Throws ``Interrupted`` when SIGINT, SIGTERM or SIGHUP has arrived since the first
  /// ``AtomicOutput`` was created (before that, the signals keep their default action).
  public static func check() throws(Interrupted) {
    let signal = csupport_interrupt_signal()
    if signal != 0 { throw Interrupted(signal: signal) }
  }
}
