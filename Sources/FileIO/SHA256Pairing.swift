import CSupport
import Foundation

/// The file hashes open to pairing (``FileSHA256``) and the hashes that can pair with them
/// (``BackgroundSHA256``): one board process-wide, or one of their own for hashes that must
/// pair only with each other (a test's).
final class SHA256Pairing: @unchecked Sendable {
  /// The process's board: it pairs where two streams on one thread hash clearly faster than
  /// one after the other (``SHA256Stream/pairSpeedup`` at least ``worthwhileSpeedup``), or
  /// where the process has a single core to hash on.
  static let shared = SHA256Pairing(
    pairs: SHA256Stream.accelerated
      && (SHA256Stream.pairSpeedup >= worthwhileSpeedup || csupport_available_processors() < 2))

  /// Below this, two streams hashed each on a core of its own end sooner than the pair on one
  /// while the other core reads and writes: a Mixer-B/16 conversion on Emerald Rapids
  /// (speedup 1.2) took 0.26–0.29 s unpaired against 0.31–0.32 paired. Zen 4 (1.8) and Zen 5
  /// (1.4) keep the pairing they were measured faster with (README, "Conversion").
  static let worthwhileSpeedup = 1.3

  /// Whether the hashes offered here pair at all; when not, each file hash's reading thread
  /// hashes what it reads and each ``BackgroundSHA256`` its own bytes.
  let pairs: Bool

  init(pairs: Bool) { self.pairs = pairs }

  /// Guards every field here and the pairing state of each offered file hash.
  let condition = NSCondition()
  private var offered: [FileHashWork] = []
  private var partners = 0

  /// Under the lock: whether a ``BackgroundSHA256`` is open that file hashes can pair with
  /// (never on a board that does not pair).
  var hasPartners: Bool { partners > 0 }

  func offer(_ file: FileHashWork) { condition.withLock { offered.append(file) } }

  /// Under the lock: drops a file hash with an outcome from the offer.
  func withdraw(_ file: FileHashWork) { offered.removeAll { $0 === file } }

  /// A hash that can pair has opened.
  func partnerOpened() {
    guard pairs else { return }
    condition.withLock { partners += 1 }
  }

  /// A hash that could pair has closed.
  func partnerClosed() {
    guard pairs else { return }
    condition.withLock {
      partners -= 1
      if partners == 0 { condition.broadcast() }
    }
  }

  /// Hashes `bytes` into `stream`, beside read bytes of an offered file hash when one has them.
  func hash(_ bytes: UnsafeRawBufferPointer, into stream: inout SHA256Stream) {
    let file: FileHashWork? = condition.withLock {
      guard pairs, let file = offered.first(where: { $0.canPair }) else { return nil }
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
