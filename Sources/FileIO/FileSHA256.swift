import Foundation

/// The SHA-256 of a file, computed in the background while the caller goes on; ``value()``
/// waits for it, hashing what is read meanwhile itself rather than idly.
///
/// A thread of its own reads the file a few pieces ahead. Where one thread hashes two streams
/// clearly faster than one after the other (``SHA256Stream/update(_:_:_:_:)``; the SHA
/// extensions of some CPUs, ``SHA256Pairing/shared``), while any ``BackgroundSHA256`` (the hash
/// of a file being written) is open in the process, the pieces read are hashed on the thread
/// that hashes its bytes, beside them, and the reading thread hashes none itself: it does only
/// while no such hash is open, and always where pairing does not pay. The digest is the same
/// either way. Released before its value is asked for, it stops reading.
public final class FileSHA256: Sendable {
  private let work: FileHashWork

  /// Opens `path` and starts reading and hashing it.
  public convenience init(_ path: String) { self.init(path, pairingOn: .shared) }

  /// Opens `path` and starts reading and hashing it, offered for pairing on `board`.
  init(_ path: String, pairingOn board: SHA256Pairing) { work = FileHashWork(path, board: board) }

  deinit { work.abandon() }

  /// The digest as 64 lowercase hex digits.
  ///
  /// - Throws: ``FileIOError`` when the file cannot be opened or read.
  public func value() throws(FileIOError) -> String { try work.value() }

  /// How many of the file's bytes were hashed beside another stream's.
  var bytesPaired: Int { work.bytesPaired }

  /// Waits until the reading thread has read the file's first piece, or found the file empty
  /// or unreadable.
  func waitForFirstRead() { work.waitForFirstRead() }
}

/// What a ``FileSHA256`` shares with its reading thread and the hashes it pairs with.
final class FileHashWork: @unchecked Sendable {
  /// The most read at a time: what the reading copies is still in a core's L2 when it is hashed.
  static let pieceBytes = streamingChunkBytes
  /// Pieces read ahead of the hash at most.
  static let piecesAhead = 4

  /// Read bytes waiting for the hash: the rest of one read, in one of the buffers.
  private struct Piece {
    let buffer: UnsafeMutableRawBufferPointer
    var bytes: UnsafeRawBufferPointer
  }

  private let path: String
  /// Where the file is offered to the hashes it pairs with.
  private let board: SHA256Pairing
  private let descriptor: Int32
  private let buffers: [UnsafeMutableRawBufferPointer]
  /// Touched only by the thread that holds ``busy``, or under the lock while none does.
  private var stream = SHA256Stream()

  // Guarded by the board's lock (``SHA256Pairing/condition``).
  /// Whether a thread is hashing into ``stream``.
  private var busy = false
  /// Pieces read and not yet hashed, in file order.
  private var ready: [Piece] = []
  /// Buffers free for the next read.
  private var free: [UnsafeMutableRawBufferPointer]
  private var endReached = false
  /// The digest or the failure, once there is one.
  private var outcome: Result<String, FileIOError>?
  /// How many of the file's bytes were hashed beside another stream's.
  private(set) var bytesPaired = 0
  /// Whether any of the file's bytes were read.
  private var readAny = false

  init(_ path: String, board: SHA256Pairing) {
    self.path = path
    self.board = board
    do { descriptor = try RegularFile.open(path).descriptor } catch {
      descriptor = -1
      buffers = []
      free = []
      outcome = .failure(error)
      return
    }
    buffers = (0..<Self.piecesAhead).map { _ in .allocate(byteCount: Self.pieceBytes, alignment: 64) }
    free = buffers
    board.offer(self)
    Thread.detachNewThread { [self] in readAndHashWhileUnpaired() }
  }

  deinit {
    for buffer in buffers { buffer.deallocate() }
    if descriptor >= 0 { close(descriptor) }
  }

  func value() throws(FileIOError) -> String {
    let condition = board.condition
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let outcome { return try outcome.get() }
      if !hashNextAlone() { condition.wait() }
    }
  }

  /// See ``FileSHA256/waitForFirstRead()``; the reading thread broadcasts after every read.
  func waitForFirstRead() {
    let condition = board.condition
    condition.withLock {
      while !readAny, !endReached, outcome == nil { condition.wait() }
    }
  }

  /// Stops the reading (its owner no longer wants the digest).
  func abandon() {
    board.condition.withLock {
      if outcome == nil { outcome = .failure(FileIOError(path: path, reason: "its hash was abandoned")) }
      finishIfDone()
      board.condition.broadcast()
    }
  }

  /// Under the lock: whether another thread may take this file's read bytes to hash beside its own.
  var canPair: Bool { !busy && !ready.isEmpty && outcome == nil }

  /// Under the lock: claims the hash for ``hash(beside:into:)``.
  func claim() { busy = true }

  /// Under the lock: gives the hash back after ``hash(beside:into:)``.
  func release() {
    busy = false
    finishIfDone()
  }

  /// The reading thread: reads while a buffer is free, and hashes what it read while no
  /// ``BackgroundSHA256`` is open to pair with; ends once there is an outcome.
  private func readAndHashWhileUnpaired() {
    let condition = board.condition
    condition.lock()
    defer { condition.unlock() }
    while outcome == nil {
      if !endReached, let buffer = free.popLast() {
        condition.unlock()
        let n = RegularFile.readNext(descriptor, into: buffer)
        let failure = n < 0 ? FileIOError.system(path, "cannot read for hashing") : nil
        condition.lock()
        if n > 0 {
          readAny = true
          ready.append(Piece(buffer: buffer, bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<n])))
        } else {
          free.append(buffer)
          endReached = true
          if let failure, outcome == nil { outcome = .failure(failure) }
        }
        finishIfDone()
        condition.broadcast()
      } else if board.hasPartners || !hashNextAlone() {
        condition.wait()
      }
    }
  }

  /// Under the lock (let go meanwhile): hashes the next piece read alone, when there is one and
  /// no other thread is hashing. Returns whether it did.
  private func hashNextAlone() -> Bool {
    guard !busy, let (bytes, emptied) = take(upTo: Self.pieceBytes) else { return false }
    busy = true
    let condition = board.condition
    condition.unlock()
    stream.update(bytes)
    condition.lock()
    if let emptied { free.append(emptied) }
    release()
    condition.broadcast()
    return true
  }

  /// Hashes `bytes` into `partner` and, beside them, as many bytes of this file as are read.
  /// The caller has claimed the hash and does not hold the lock.
  ///
  /// - Returns: the end of `bytes` left unhashed, for want of read bytes to pair them with.
  func hash(beside bytes: UnsafeRawBufferPointer, into partner: inout SHA256Stream) -> UnsafeRawBufferPointer {
    let condition = board.condition
    var rest = bytes
    while !rest.isEmpty, let (mine, emptied) = condition.withLock({ take(upTo: rest.count) }) {
      SHA256Stream.update(&partner, UnsafeRawBufferPointer(rebasing: rest.prefix(mine.count)), &stream, mine)
      rest = UnsafeRawBufferPointer(rebasing: rest[mine.count...])
      condition.withLock {
        bytesPaired += mine.count
        if let emptied {
          free.append(emptied)
          condition.broadcast()
        }
      }
    }
    return rest
  }

  /// Under the lock: up to `count` bytes from the first piece read, and its buffer when they
  /// are its last (to free once they are hashed); nil when nothing is read.
  private func take(upTo count: Int) -> (UnsafeRawBufferPointer, emptied: UnsafeMutableRawBufferPointer?)? {
    guard let first = ready.first else { return nil }
    let bytes = UnsafeRawBufferPointer(rebasing: first.bytes.prefix(count))
    guard bytes.count < first.bytes.count else {
      ready.removeFirst()
      return (bytes, first.buffer)
    }
    ready[0].bytes = UnsafeRawBufferPointer(rebasing: first.bytes[bytes.count...])
    return (bytes, nil)
  }

  /// Under the lock: sets the digest once the file is read to its end and every byte hashed,
  /// and withdraws the file from pairing once it has an outcome.
  private func finishIfDone() {
    if outcome == nil, endReached, ready.isEmpty, !busy { outcome = .success(stream.hex()) }
    if outcome != nil { board.withdraw(self) }
  }
}
