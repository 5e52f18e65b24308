import Dispatch

/// A value computed on another thread; ``value()`` waits for it.
///
/// The value is made on that thread and handed over to the thread that created this and calls
/// ``value()``, with nothing else touching it meanwhile, so it need not be `Sendable` (a
/// compiled ``ExportRunner`` is not). For the same reason this is not `Sendable` itself: only
/// its creator may wait for the value. What the work reads must be safe to read from both
/// threads at once.
final class BackgroundResult<T> {
  /// The result and the signal of its arrival, shared with the worker thread alone.
  private final class Slot: @unchecked Sendable {
    let group = DispatchGroup()
    var result: Result<T, Error>?
  }

  private let slot = Slot()

  /// Starts `work` on a thread of the global queue.
  init(_ work: @escaping @Sendable () throws -> T) {
    let slot = slot
    slot.group.enter()
    DispatchQueue.global().async {
      slot.result = Result { try work() }
      slot.group.leave()
    }
  }

  /// The work's value once it is done, or its error.
  func value() throws -> T {
    slot.group.wait()
    return try slot.result!.get()
  }
}
