import Dispatch

/// A value computed on another thread; ``value()`` waits for it.
///
/// The value is made on that thread and handed to the one that calls ``value()``, with nothing
/// else touching it meanwhile, so it need not be `Sendable` (a compiled ``ExportRunner`` is
/// not). What the work reads must be safe to read from both threads at once.
final class BackgroundResult<T>: @unchecked Sendable {
  private let group = DispatchGroup()
  private var result: Result<T, Error>?

  init(_ work: @escaping @Sendable () throws -> T) {
    group.enter()
    DispatchQueue.global().async {
      self.result = Result { try work() }
      self.group.leave()
    }
  }

  func value() throws -> T {
    group.wait()
    return try result!.get()
  }
}
