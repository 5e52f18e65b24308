import Foundation
import Synchronization
import Testing

@testable import Kernels

/// The persistent worker pool behind ``Compute/parallel(_:_:)``: every part once, no more
/// threads than asked for, and regions inside regions or from several threads at once fall
/// back instead of waiting on each other.
@Suite struct WorkerPoolTests {
  /// Counts of how often each part ran, and the threads that ran them.
  private final class Record: @unchecked Sendable {
    let lock = NSLock()
    var runs: [Int]
    /// The thread that ran each part (its last run; empty if none did).
    var runner: [String]
    var threads: Set<String> { lock.withLock { Set(runner.filter { !$0.isEmpty }) } }
    init(parts: Int) {
      runs = [Int](repeating: 0, count: parts)
      runner = [String](repeating: "", count: parts)
    }

    func ran(_ part: Int) {
      let thread = "\(pthread_self())"
      lock.withLock {
        runs[part] += 1
        runner[part] = thread
      }
    }
  }

  @Test func everyPartRunsOnceOnAtMostTheThreadsAllowed() {
    for parts in [2, 3, 12, 100] {
      for threads in [2, 3] {
        let record = Record(parts: parts)
        Compute(threads: threads).parallel(parts) { part in
          // Enough work that a worker has time to join.
          var x = 0.0
          for i in 0..<20_000 { x += Double(i ^ part) }
          precondition(x >= 0)
          record.ran(part)
        }
        #expect(record.runs == [Int](repeating: 1, count: parts), "\(parts) parts, \(threads) threads")
        #expect(
          record.threads.count <= threads, "\(parts) parts on \(record.threads.count) threads, \(threads) allowed")
      }
    }
  }

  /// The caller's thread claims parts from the front and workers from the back, so that the
  /// caller's share of every region is a run of parts from the first, the same end each time.
  /// (Regions go to the pool directly: while another test's region holds it, `run` declines
  /// and the region is tried again a millisecond later.)
  @Test(.enabled(if: Compute.availableProcessors > 1, "one core: the pool has no workers"))
  func theCallerRunsTheFirstPartsAndWorkersTheLast() {
    let caller = "\(pthread_self())"
    let parts = 12
    var (regions, regionsWithAWorker) = (0, 0)
    let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
    while regions < 20, DispatchTime.now().uptimeNanoseconds < deadline {
      let record = Record(parts: parts)
      let ran = WorkerPool.shared.run(parts: parts, maximumThreads: 2) { part in
        // Long enough (about a millisecond) that the worker joins.
        let start = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - start < 1_000_000 {}
        record.ran(part)
      }
      guard ran else {
        usleep(1000)
        continue
      }
      regions += 1
      #expect(record.runs == [Int](repeating: 1, count: parts))
      let byCaller = record.runner.map { $0 == caller }
      let callerParts = byCaller.filter { $0 }.count
      #expect(
        byCaller == (0..<parts).map { $0 < callerParts },
        "the caller ran \(byCaller.indices.filter { byCaller[$0] }), not the first \(callerParts)")
      if callerParts < parts { regionsWithAWorker += 1 }
    }
    #expect(regions == 20, "the pool took \(regions) of the regions")
    #expect(regionsWithAWorker > 0, "no worker joined any of \(regions) regions")
  }

  @Test func regionsInsideRegionsAndFromManyThreadsComplete() {
    let total = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 4) { _ in
      for _ in 0..<50 {
        Compute(threads: 2).parallel(4) { _ in
          Compute(threads: 2).parallel(3) { _ in total.wrappingAdd(1, ordering: .relaxed) }
        }
      }
    }
    #expect(total.load(ordering: .relaxed) == 4 * 50 * 4 * 3)
  }

  /// The products that use the pool give the same bits as on one thread's partition, run
  /// after run (a part's result never depends on which thread ran it).
  @Test func productsAreTheSameEveryRun() {
    let a = Tensor(shape: [197, 96], scalars: (0..<(197 * 96)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 })
    let b = Tensor(shape: [96, 160], scalars: (0..<(96 * 160)).map { Float(($0 * 104_729) % 1000) / 1000 - 0.5 })
    let compute = Compute(threads: 2)
    let first = compute.matmul(a, b)
    for _ in 0..<20 { #expect(compute.matmul(a, b).scalars == first.scalars) }
  }
}
