import CSupport
import Dispatch
import Foundation

/// Where and how kernels run: which compiled path, and how many threads may share the work.
///
/// Every operation is a method on `Compute`. Work is split over threads only when it is big
/// enough that a second thread pays for its start-up, so small products never get slower
/// with more threads.
public struct Compute: Sendable {
  /// The kernel build in use.
  public let path: KernelPath
  /// The most threads one operation may use.
  public let threads: Int
  let table: KernelTable

  /// - Parameters:
  ///   - path: kernel build (default: the fastest this CPU supports).
  ///   - threads: threads per operation (default: every processor the process may run on).
  public init(path: KernelPath = .selected, threads: Int? = nil) {
    self.path = path
    self.threads = max(1, threads ?? Self.availableProcessors)
    table = path.table
  }

  /// The processors this process may run on, counted once: its CPU affinity (`taskset`, a
  /// container's cpuset), which Foundation's `activeProcessorCount` does not heed here.
  public static let availableProcessors = Int(csupport_available_processors())

  /// Starts the worker pool's threads now, from this thread, unless they have started. They
  /// inherit this thread's CPU affinity, and there is one fewer of them than
  /// ``availableProcessors`` (fixed at its first use, which this is if nothing read it before).
  /// A program that pins its own threads to CPUs calls this first: otherwise the pool starts at
  /// the first parallel operation, and started while this thread ran on one CPU it has no
  /// workers, and operations of several threads fall back to libdispatch's.
  public static func startWorkers() { _ = WorkerPool.shared }

  /// Runs `body(part)` for `part` in `0..<parts`, on up to ``threads`` threads: the
  /// ``WorkerPool``'s when it is free, libdispatch's otherwise (a region inside a region, or
  /// another thread's region running), each of its ``threads`` lanes then taking every
  /// ``threads``-th part.
  func parallel(_ parts: Int, _ body: @Sendable (Int) -> Void) {
    if parts <= 1 || threads == 1 {
      for part in 0..<parts { body(part) }
      return
    }
    if WorkerPool.shared.run(parts: parts, maximumThreads: threads, body) { return }
    let lanes = min(parts, threads)
    DispatchQueue.concurrentPerform(iterations: lanes) { lane in
      for part in stride(from: lane, to: parts, by: lanes) { body(part) }
    }
  }

  /// Splits `count` items into at most ``threads`` × `partsPerThread` contiguous ranges of at
  /// least `minimumPerPart` items (aligned to `alignment`; one range on one thread), and runs
  /// `body` on each range. Threads claim ranges one by one, so with several parts per thread a
  /// thread that runs slower (its CPU taken by the host for a while) takes fewer of them.
  func parallelRanges(
    _ count: Int, minimumPerPart: Int, alignment: Int = 1, partsPerThread: Int = 1,
    _ body: @Sendable (Range<Int>) -> Void
  ) {
    let most = threads == 1 ? 1 : threads * max(partsPerThread, 1)
    let parts = max(1, min(most, count / max(minimumPerPart, 1)))
    if parts == 1 {
      body(0..<count)
      return
    }
    let units = (count + alignment - 1) / alignment
    parallel(parts) { part in
      let start = min(count, units * part / parts * alignment)
      let end = min(count, units * (part + 1) / parts * alignment)
      if start < end { body(start..<end) }
    }
  }
}

/// A pointer shared with worker threads that touch disjoint parts of its memory.
struct SharedPointer<T>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<T>
  init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// Reusable packing buffers for GEMM, so small products do not pay for allocation and page
/// faults on every call.
final class WorkspacePool: @unchecked Sendable {
  static let shared = WorkspacePool()
  private let lock = NSLock()
  private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]

  /// Runs `body` with a buffer of at least `count` floats, aligned to 64 bytes.
  func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    lock.lock()
    let buffer = free[count]?.popLast()
    lock.unlock()
    let workspace =
      buffer
      ?? UnsafeMutableRawPointer.allocate(byteCount: 4 * count, alignment: 64)
      .bindMemory(to: Float.self, capacity: count)
    defer {
      lock.lock()
      free[count, default: []].append(workspace)
      lock.unlock()
    }
    return body(workspace)
  }
}
