import CSupport
import Foundation
import Synchronization

/// The temporary outputs this process is writing, and what SIGINT, SIGTERM and SIGHUP do while
/// there are any.
///
/// The signal handler (`csupport_record_interrupts`, in C) only records the signal. A watcher
/// thread wakes up on it: with no output being written it ends the process at once, with
/// status 128 + signal. Otherwise it leaves the outputs to the thread writing them, which
/// notices at its next ``Interruption/check()``, unwinds, and removes its temporaries itself;
/// the process ends as soon as the last one is unregistered. So nothing is ever removed while it
/// is being written or committed, and a commit under way always completes. A second signal ends
/// the process at once; what that leaves behind is removed by the next run writing beside it
/// (``StaleTemporaries``). While code that winds down by itself holds the process
/// (``Interruption/windingDown(onSignal:_:)``, a batch), the first signal does not end it either:
/// the holder's handler runs on the watcher thread, and the holder polls ``Interruption/signal``.
/// Signals that arrive together count as one: the SIGTERM a child asks
/// for at its parent's death (`PR_SET_PDEATHSIG`) can come more than once (two, 1.4 ms apart,
/// when a batch died of SIGINT), where a user's second Ctrl-C comes a good while after the first.
final class TemporaryRegistry: @unchecked Sendable {
  static let shared = TemporaryRegistry()
  /// Whether a repeated signal ends the process at once (see
  /// ``Interruption/repeatedSignalsWaitForCleanup()``).
  static let repeatsEndAtOnce = Atomic<Bool>(true)

  private let lock = NSLock()
  private var paths: Set<String> = []
  private var serial = 0
  private var signals = 0
  /// The handlers of the holders that wind down by themselves, by token.
  private var holders: [Int: @Sendable (Int32) -> Void] = [:]
  /// When the first signal arrived (`DispatchTime` nanoseconds).
  private var firstSignalTime: UInt64 = 0
  /// Signals this soon after the first count as the same one.
  private static let sameSignalNanoseconds: UInt64 = 100_000_000

  private init() {
    var descriptors: [Int32] = [-1, -1]
    guard pipe(&descriptors) == 0 else { return }  // then the signals keep their default action
    for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    _ = fcntl(descriptors[1], F_SETFL, O_NONBLOCK)
    let reader = descriptors[0]
    Thread.detachNewThread { [self] in
      var byte: UInt8 = 0
      while true {
        let count = read(reader, &byte, 1)
        if count == 1 { received() } else if count < 0, errno == EINTR { continue } else { return }
      }
    }
    _ = csupport_record_interrupts(descriptors[1])
  }

  /// The temporaries registered now (for tests).
  var pending: Set<String> {
    lock.lock()
    defer { lock.unlock() }
    return paths
  }

  func nextSerial() -> Int {
    lock.lock()
    defer { lock.unlock() }
    serial += 1
    return serial
  }

  /// Records a temporary before it is created, so that an interrupt waits for its owner to
  /// remove it.
  ///
  /// - Throws: ``Interrupted`` when a signal has already arrived (nothing should be created).
  func register(_ path: String) throws(Interrupted) {
    lock.lock()
    defer { lock.unlock() }
    try Interruption.check()
    paths.insert(path)
  }

  /// Forgets a temporary that was committed or removed; after an interrupt, the last one ends
  /// the process.
  func unregister(_ path: String) {
    lock.lock()
    defer { lock.unlock() }
    paths.remove(path)
    let signal = csupport_interrupt_signal()
    if paths.isEmpty, holders.isEmpty, signal != 0 { _exit(128 + signal) }
  }

  /// Keeps the process running after a first signal until ``release(_:)``: `handler` is called
  /// with it (on the watcher thread); returns the token to release. A signal that already
  /// arrived is handed to `handler` at once.
  func hold(_ handler: @escaping @Sendable (Int32) -> Void) -> Int {
    lock.lock()
    defer { lock.unlock() }
    serial += 1
    holders[serial] = handler
    let signal = csupport_interrupt_signal()
    if signal != 0 { handler(signal) }
    return serial
  }

  /// Ends a ``hold(_:)``; the process goes on (its holder reports, then exits).
  func release(_ token: Int) {
    lock.lock()
    defer { lock.unlock() }
    holders[token] = nil
  }

  /// On the watcher thread, once per signal. The lock is held through `_exit`, so no
  /// temporary can be registered (and then created) after the decision to end the process.
  private func received() {
    lock.lock()
    let now = DispatchTime.now().uptimeNanoseconds
    let first = signals == 0
    if first {
      firstSignalTime = now
      signals = 1
    } else if now - firstSignalTime >= Self.sameSignalNanoseconds {
      signals += 1
    }
    let signal = csupport_interrupt_signal()
    let repeated = signals > 1 && Self.repeatsEndAtOnce.load(ordering: .relaxed)
    if (paths.isEmpty && holders.isEmpty) || repeated { _exit(128 + signal) }
    if first { for handler in holders.values { handler(signal) } }
    lock.unlock()
  }
}
