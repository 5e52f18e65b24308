import Dispatch
import Foundation

/// The temporary outputs of this process, removed if a signal ends it early.
///
/// Signal handling runs on a dispatch queue (not in signal context), so it may remove
/// folders; it then exits with the conventional status 128 + signal number.
final class TemporaryRegistry: @unchecked Sendable {
  static let shared = TemporaryRegistry()

  private let lock = NSLock()
  private var paths: Set<String> = []
  private var serial = 0
  private var sources: [DispatchSourceSignal] = []

  private init() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler { [unowned self] in
        self.removeAll()
        _exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }

  func nextSerial() -> Int {
    lock.lock()
    defer { lock.unlock() }
    serial += 1
    return serial
  }

  func register(_ path: String) {
    lock.lock()
    paths.insert(path)
    lock.unlock()
  }

  func unregister(_ path: String) {
    lock.lock()
    paths.remove(path)
    lock.unlock()
  }

  private func removeAll() {
    lock.lock()
    let pending = paths
    paths.removeAll()
    lock.unlock()
    for path in pending { try? FileManager.default.removeItem(atPath: path) }
  }
}
