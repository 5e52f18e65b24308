import Dispatch
import Foundation

/// Bytes copied into a few staging buffers and handed, a full buffer at a time, to one or
/// more consumers (a write, a hash), each on a serial background queue of its own that takes
/// the buffers in order, while the producer goes on. A buffer is reused once every consumer is
/// done with it; at most ``bufferCount`` buffers are held, and a producer faster than the
/// slowest consumer waits for one.
final class StagingRing {
  /// What consumes full buffers, in order, on a queue of its own.
  typealias Consumer = (UnsafeRawBufferPointer) -> Void

  /// Bytes per buffer.
  let bufferBytes: Int
  /// Buffers in flight: one being filled, the others waiting for or in their consumption.
  let bufferCount: Int

  /// What the queues touch. Their blocks hold it, not the ring, so the ring's owner can go
  /// away (an abandoned write) while a buffer is still being consumed.
  private final class Shared: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    let consumers: [Consumer]
    /// Counts free buffers; signalled when one has been consumed by every consumer. Each queue
    /// is serial and takes the buffers in the order they were handed over, so they come back
    /// in that order too and the next free one is always the next in turn. (Created at 0 and
    /// signalled up: libdispatch traps on freeing a semaphore below its initial value, as an
    /// abandoned ring's would be.)
    let free = DispatchSemaphore(value: 0)
    /// Consumers still to finish each buffer.
    private var pending: [Int]
    private let lock = NSLock()

    init(buffers: [UnsafeMutableRawBufferPointer], consumers: [Consumer]) {
      self.buffers = buffers
      self.consumers = consumers
      pending = [Int](repeating: 0, count: buffers.count)
      for _ in buffers { free.signal() }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// Marks buffer `index` as handed to every consumer.
    func handedOver(_ index: Int) { lock.withLock { pending[index] = consumers.count } }

    /// Marks buffer `index` as done by one consumer, and frees it after the last.
    func consumed(_ index: Int) {
      let last = lock.withLock {
        pending[index] -= 1
        return pending[index] == 0
      }
      if last { free.signal() }
    }
  }

  private let shared: Shared
  private let queues: [DispatchQueue]
  /// The buffer being filled and how much of it holds bytes.
  private var current: Int?
  private var filled = 0
  /// Buffers taken so far; the next one is buffer `taken % bufferCount`.
  private var taken = 0

  /// A ring of `count` buffers of `bytes` bytes each, aligned to `alignment`, whose full
  /// buffers every one of `consumers` receives in order, on queues named after `label`.
  init(label: String, count: Int, bytes: Int, alignment: Int = 64, consumers: [Consumer]) {
    precondition(!consumers.isEmpty, "StagingRing: no consumer")
    bufferBytes = bytes
    bufferCount = count
    shared = Shared(
      buffers: (0..<count).map { _ in .allocate(byteCount: bytes, alignment: alignment) }, consumers: consumers)
    queues = consumers.indices.map { DispatchQueue(label: consumers.count == 1 ? label : "\(label).\($0)") }
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
    for queue in queues { queue.sync {} }
  }

  /// Waits until the next buffer in turn has been consumed and takes it.
  private func takeBuffer() -> Int {
    shared.free.wait()
    defer { taken += 1 }
    return taken % bufferCount
  }

  /// Hands the current buffer to every consumer's queue.
  private func handOver() {
    guard let index = current else { return }
    let count = filled
    current = nil
    filled = 0
    shared.handedOver(index)
    for (queue, consumer) in zip(queues, shared.consumers.indices) {
      queue.async { [shared] in
        shared.consumers[consumer](UnsafeRawBufferPointer(rebasing: shared.buffers[index][0..<count]))
        shared.consumed(index)
      }
    }
  }
}
