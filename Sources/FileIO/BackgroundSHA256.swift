/// SHA-256 of a stream of bytes, hashed on another thread while the caller goes on writing.
///
/// ``update(_:)`` copies the bytes into one of a few staging buffers and returns; a full buffer
/// is hashed on a serial queue and then reused (``StagingRing``), so at most
/// ``stagingBuffers`` × ``stagingBytes`` bytes are held and a producer faster than the hash
/// waits for a free buffer. ``hex()`` hashes what is left and waits. The digest equals
/// ``SHA256Stream``'s of the same bytes.
///
/// Until ``hex()``, where pairing pays (``SHA256Pairing/shared``), a ``FileSHA256`` in the
/// process has its file's pieces hashed beside these bytes, two streams at once, on the thread
/// that hashes them (this hash's queue, or through ``consumer`` another ring's).
public final class BackgroundSHA256 {
  /// Buffers in flight: one being filled, the others waiting for or in the hash.
  public static let stagingBuffers = 3
  /// Bytes per staging buffer.
  public static let stagingBytes = 2 << 20

  /// The hash state, touched only on one queue at a time (and read once it is drained).
  private final class State: @unchecked Sendable {
    var stream = SHA256Stream()
  }

  private let state = State()
  /// Where the ``FileSHA256`` hashes to pair with are offered.
  private let board: SHA256Pairing
  /// Made by the first ``update(_:)``: a writer that hashes everything through ``consumer``
  /// needs no buffers of its own.
  private var ring: StagingRing?
  private var finished = false

  /// Opens a hash that ``FileSHA256`` hashes can pair with until ``hex()``.
  public convenience init() { self.init(pairingOn: .shared) }

  /// Opens a hash that the ``FileSHA256`` hashes offered on `board` can pair with.
  init(pairingOn board: SHA256Pairing) {
    self.board = board
    board.partnerOpened()
  }

  deinit { if !finished { board.partnerClosed() } }

  /// Hashes bytes that another ring already stages, on that ring's queue, without a copy of
  /// their own. The other ring must be drained before ``update(_:)`` or ``hex()`` is called
  /// again, and its bytes come in the stream where they were handed over.
  var consumer: StagingRing.Consumer { { [state, board] in board.hash($0, into: &state.stream) } }

  /// Adds bytes; they may be reused by the caller as soon as this returns.
  public func update(_ bytes: UnsafeRawBufferPointer) {
    precondition(!finished, "BackgroundSHA256 updated after hex()")
    if ring == nil {
      ring = StagingRing(
        label: "mixer-convert.sha256", count: Self.stagingBuffers, bytes: Self.stagingBytes, consumers: [consumer])
    }
    ring!.append(bytes)
  }

  /// The digest as 64 lowercase hex digits, once every byte is hashed.
  public func hex() -> String {
    ring?.drain()
    if !finished { board.partnerClosed() }
    finished = true
    return state.stream.hex()
  }
}
