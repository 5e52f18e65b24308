import Dispatch

/// Bytes copied into a few staging buffers and handed, a full buffer at a time, to a serial
/// background queue that consumes them in order (a hash, a write), while the producer goes on.
/// At most ``bufferCount`` buffers are held; a producer faster than the consumer waits for one.
final class StagingRing {
  /// Bytes per buffer.
  let bufferBytes: Int
  /// Buffers in flight: one being filled, the others waiting for or in their consumption.
  let bufferCount: Int

  /// What the queue touches. Its blocks hold it, not the ring, so the ring's owner can go away
  /// (an abandoned write) while a buffer is still being consumed.
  private final class Shared: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    let consume: (UnsafeRawBufferPointer) -> Void
    /// Counts free buffers; signalled when one has been consumed. The queue is serial, so
    /// buffers come back in the order they were handed over and the next free one is always
    /// the next in turn. (Created at 0 and signalled up: libdispatch traps on freeing a
    /// semaphore below its initial value, as an abandoned ring's would be.)
    let free = DispatchSemaphore(value: 0)

    init(buffers: [UnsafeMutableRawBufferPointer], consume: @escaping (UnsafeRawBufferPointer) -> Void) {
      self.buffers = buffers
      self.consume = consume
      for _ in buffers { free.signal() }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }
  }

  private let shared: Shared
  private let queue: DispatchQueue
  /// The buffer being filled and how much of it holds bytes.
  private var current: Int?
  private var filled = 0
  /// Buffers taken so far; the next one is buffer `taken % bufferCount`.
  private var taken = 0

  /// A ring of `count` buffers of `bytes` bytes each, aligned to `alignment`, whose full
  /// buffers `consume` receives in order on a queue named `label`.
  init(
    label: String, count: Int, bytes: Int, alignment: Int = 64,
    consume: @escaping (UnsafeRawBufferPointer) -> Void
  ) {
    bufferBytes = bytes
    bufferCount = count
    shared = Shared(
      buffers: (0..<count).map { _ in .allocate(byteCount: bytes, alignment: alignment) }, consume: consume)
    queue = DispatchQueue(label: label)
  }

  /// The bytes staged but not handed over yet (valid until the next call).
  var staged: UnsafeRawBufferPointer {
    guard let index = current else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(rebasing: shared.buffers[index][0..<filled])
  }

  /// Adds bytes; they may be reused by the caller as soon as this returns.
  func append(_ bytes: UnsafeRawBufferPointer) {
    var rest = bytes
    while !rest.isEmpty {
      let index = current ?? takeBuffer()
      current = index
      let n = min(rest.count, bufferBytes - filled)
      (shared.buffers[index].baseAddress! + filled).copyMemory(from: rest.baseAddress!, byteCount: n)
      filled += n
      rest = UnsafeRawBufferPointer(rebasing: rest[n...])
      if filled == bufferBytes { handOver() }
    }
  }

  /// Hands over the first `count` staged bytes (by default all of them) and drops the rest,
  /// then waits until every buffer handed over has been consumed.
  func drain(handingOver count: Int? = nil) {
    if current != nil {
      let kept = count ?? filled
      precondition(kept <= filled, "StagingRing: more bytes handed over than staged")
      if kept > 0 {
        filled = kept
        handOver()
      } else {
        current = nil
        filled = 0
        shared.free.signal()
      }
    }
    queue.sync {}
  }

  /// Waits until the next buffer in turn has been consumed and takes it.
  private func takeBuffer() -> Int {
    shared.free.wait()
    defer { taken += 1 }
    return taken % bufferCount
  }

  /// Hands the current buffer to the queue.
  private func handOver() {
    guard let index = current else { return }
    let count = filled
    current = nil
    filled = 0
    queue.async { [shared] in
      shared.consume(UnsafeRawBufferPointer(rebasing: shared.buffers[index][0..<count]))
      shared.free.signal()
    }
  }
}
