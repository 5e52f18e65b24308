import Dispatch
import Foundation

/// SHA-256 of a stream of bytes, hashed on another thread while the caller goes on writing.
///
/// ``update(_:)`` copies the bytes into one of a few staging buffers and returns; a full buffer
/// is hashed on a serial queue and then reused, so at most ``stagingBuffers`` × ``stagingBytes``
/// bytes are held and a producer faster than the hash waits for a free buffer. ``hex()`` hashes
/// what is left and waits. The digest equals ``SHA256Stream``'s of the same bytes.
public final class BackgroundSHA256 {
  /// Buffers in flight: one being filled, the others waiting for or in the hash.
  public static let stagingBuffers = 3
  /// Bytes per staging buffer.
  public static let stagingBytes = 2 << 20

  /// What the hashing queue touches. The queue's blocks hold it, not the hasher, so the
  /// hasher can go away (an abandoned write) while a block still runs.
  private final class Shared: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    /// Counts free buffers; signalled when one has been hashed. The queue is serial, so
    /// buffers come back in the order they were handed over and the next free one is always
    /// the next in turn. (Created at 0 and signalled up: libdispatch traps on freeing a
    /// semaphore below its initial value, as an abandoned hasher's would be.)
    let hashed = DispatchSemaphore(value: 0)
    /// Touched only on the hashing queue.
    var stream = SHA256Stream()

    init() {
      buffers = (0..<BackgroundSHA256.stagingBuffers).map { _ in
        UnsafeMutableRawBufferPointer.allocate(byteCount: BackgroundSHA256.stagingBytes, alignment: 64)
      }
      for _ in buffers { hashed.signal() }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }
  }

  private let queue = DispatchQueue(label: "mixer-convert.sha256")
  private let shared = Shared()
  /// The buffer being filled and how much of it holds bytes.
  private var current: Int?
  private var filled = 0
  /// Buffers taken so far; the next one is buffer `taken % stagingBuffers`.
  private var taken = 0
  private var finished = false

  public init() {}

  /// Adds bytes; they may be reused by the caller as soon as this returns.
  public func update(_ bytes: UnsafeRawBufferPointer) {
    precondition(!finished, "BackgroundSHA256 updated after hex()")
    var rest = bytes
    while !rest.isEmpty {
      let index = current ?? takeBuffer()
      current = index
      let buffer = shared.buffers[index]
      let n = min(rest.count, buffer.count - filled)
      (buffer.baseAddress! + filled).copyMemory(from: rest.baseAddress!, byteCount: n)
      filled += n
      rest = UnsafeRawBufferPointer(rebasing: rest[n...])
      if filled == buffer.count { submit() }
    }
  }

  /// The digest as 64 lowercase hex digits, once every byte is hashed.
  public func hex() -> String {
    if !finished {
      submit()
      finished = true
    }
    return queue.sync { [shared] in shared.stream.hex() }
  }

  /// Waits until the next buffer in turn has been hashed and takes it.
  private func takeBuffer() -> Int {
    shared.hashed.wait()
    defer { taken += 1 }
    return taken % Self.stagingBuffers
  }

  /// Hands the current buffer to the hashing queue.
  private func submit() {
    guard let index = current else { return }
    let count = filled
    current = nil
    filled = 0
    queue.async { [shared] in
      shared.stream.update(UnsafeRawBufferPointer(rebasing: shared.buffers[index][0..<count]))
      shared.hashed.signal()
    }
  }
}
