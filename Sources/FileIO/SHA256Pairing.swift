import Foundation

/// The file hashes open to pairing (``FileSHA256``) and the hashes that can pair with them
/// (``BackgroundSHA256``): one board process-wide, or one of their own for hashes that must
/// pair only with each other (a test's).
final class SHA256Pairing: @unchecked Sendable {
  /// The process's board.
  static let shared = SHA256Pairing()

  /// Guards every field here and the pairing state of each offered file hash.
  let condition = NSCondition()
  private var offered: [FileHashWork] = []
  private var partners = 0

  /// Under the lock: whether a ``BackgroundSHA256`` is open that file hashes can pair with
  /// (never without the SHA extensions, where pairing gains nothing).
  var hasPartners: Bool { partners > 0 }

  func offer(_ file: FileHashWork) { condition.withLock { offered.append(file) } }

  /// Under the lock: drops a file hash with an outcome from the offer.
  func withdraw(_ file: FileHashWork) { offered.removeAll { $0 === file } }

  /// A hash that can pair has opened.
  func partnerOpened() {
    guard SHA256Stream.accelerated else { return }
    condition.withLock { partners += 1 }
  }

  /// A hash that could pair has closed.
  func partnerClosed() {
    guard SHA256Stream.accelerated else { return }
    condition.withLock {
      partners -= 1
      if partners == 0 { condition.broadcast() }
    }
  }

  /// Hashes `bytes` into `stream`, beside read bytes of an offered file hash when one has them.
  func hash(_ bytes: UnsafeRawBufferPointer, into stream: inout SHA256Stream) {
    let file: FileHashWork? = condition.withLock {
      guard SHA256Stream.accelerated, let file = offered.first(where: { $0.canPair }) else { return nil }
      file.claim()
      return file
    }
    guard let file else { return stream.update(bytes) }
    let rest = file.hash(beside: bytes, into: &stream)
    condition.withLock {
      file.release()
      condition.broadcast()
    }
    stream.update(rest)
  }
}
