import Foundation
import Synchronization

/// Threads that stay up between parallel regions, so that a region's parts start on every
/// core at once instead of after a worker is woken.
///
/// A forward pass is a few hundred short regions (one per product, attention, token mixing);
/// libdispatch wakes a sleeping worker for each, and on a virtual machine that wake-up is a
/// sizeable part of a region of a millisecond. Here a worker that has finished a region
/// spins for a while on the region counter before it sleeps, and the caller runs parts too.
///
/// One region runs at a time; a caller that finds the pool busy (another thread's region, or a
/// region inside a region) gets `false` from ``run(parts:maximumThreads:_:)`` and runs its
/// parts some other way. Which thread runs a part never changes what the part computes.
final class WorkerPool: @unchecked Sendable {
  /// One worker per core beyond the caller's.
  static let shared = WorkerPool(workers: max(0, Compute.availableProcessors - 1))

  /// The parts of one region: the caller's thread claims them one by one from the front,
  /// workers from the back, until the two meet. A thread thus keeps the same end of every
  /// region split alike (the same rows or columns of a product), and what it wrote in one
  /// region is still in its core's caches when it reads it in the next. Claimed from one
  /// counter, parts went to whichever thread came first, and their data moved between cores:
  /// cheap when the host puts the two vCPUs on one core complex (a cache line goes from one to
  /// the other and back in about 60 ns here), not when it puts them on two (about 320 ns; the
  /// host moves between the two placements every few seconds). Two threads, batch 1, on the
  /// far placement: Mixer-B/16 139 → 132 ms, ViT-B/16 186 → 174 ms; on the near one unchanged.
  private final class Region: @unchecked Sendable {
    let parts: Int
    let body: (Int) -> Void
    /// Workers allowed to join (the caller's thread is the other one).
    let workerSeats: Int
    /// Parts claimed from the front (low 32 bits) and from the back (high 32 bits).
    let claimed = Atomic<UInt64>(0)
    let joined = Atomic<Int>(0)

    init(parts: Int, workerSeats: Int, body: @escaping (Int) -> Void) {
      self.parts = parts
      self.workerSeats = workerSeats
      self.body = body
    }

    /// Runs parts, from the front or from the back, until none is left.
    func work(fromFront: Bool) {
      let step: UInt64 = fromFront ? 1 : 1 << 32
      while true {
        let seen = claimed.load(ordering: .relaxed)
        let (front, back) = (Int(seen & 0xFFFF_FFFF), Int(seen >> 32))
        guard front + back < parts else { return }
        if claimed.compareExchange(expected: seen, desired: seen + step, ordering: .relaxed).exchanged {
          body(fromFront ? front : parts - 1 - back)
        }
      }
    }
  }

  /// How long an idle worker watches for the next region before it sleeps.
  private static let spinNanoseconds: UInt64 = 2_000_000

  private let workers: Int
  /// Bumped for every region; read without the lock while spinning.
  private let generation = Atomic<Int>(0)
  /// Whether a region is running (taken with a compare-and-exchange by its caller).
  private let busy = Atomic<Bool>(false)
  /// Guards `current` and `active`; workers sleep on it.
  private let condition = NSCondition()
  private var current: Region?
  /// Workers holding `current`.
  private var active = 0

  private init(workers: Int) {
    self.workers = workers
    for index in 0..<workers {
      let thread = Thread { [unowned self] in self.serve() }
      thread.name = "mixer-convert.worker-\(index + 1)"
      thread.start()
    }
  }

  /// Runs `body(part)` for every part in `0..<parts` on this thread and up to
  /// `maximumThreads − 1` workers, and returns `true` when all are done; `false` (nothing
  /// run) when the pool is busy, has no workers, or is given more parts (2^31) than its
  /// counters hold.
  func run(parts: Int, maximumThreads: Int, _ body: (Int) -> Void) -> Bool {
    guard workers > 0, parts < 1 << 31,
      busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      return false
    }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { body in
      let region = Region(parts: parts, workerSeats: min(workers, maximumThreads - 1), body: body)
      condition.lock()
      current = region
      generation.wrappingAdd(1, ordering: .releasing)
      condition.broadcast()
      condition.unlock()
      region.work(fromFront: true)
      // Every part is claimed now; those still running belong to seated workers. Once none is
      // seated, all parts are done and no worker keeps the region (and `body`).
      condition.lock()
      current = nil
      while active > 0 {
        condition.unlock()
        sched_yield()
        condition.lock()
      }
      condition.unlock()
    }
    return true
  }

  /// A worker's loop: wait for a region, take a seat in it, run parts.
  private func serve() {
    var seen = 0
    while true {
      var region = nextRegion(after: &seen)
      guard region != nil else { continue }
      region!.work(fromFront: false)
      // Let go of the region (and the caller's closure) before saying so.
      region = nil
      condition.lock()
      active -= 1
      condition.unlock()
    }
  }

  /// Waits for a region newer than `seen` — spinning first, then asleep — and returns it if
  /// it has a seat left (counted in `active`).
  private func nextRegion(after seen: inout Int) -> Region? {
    let spinStart = DispatchTime.now().uptimeNanoseconds
    while generation.load(ordering: .acquiring) == seen,
      DispatchTime.now().uptimeNanoseconds - spinStart < Self.spinNanoseconds
    {
      sched_yield()
    }
    condition.lock()
    defer { condition.unlock() }
    while generation.load(ordering: .acquiring) == seen { condition.wait() }
    seen = generation.load(ordering: .acquiring)
    guard let region = current, region.joined.wrappingAdd(1, ordering: .relaxed).oldValue < region.workerSeats else {
      return nil
    }
    active += 1
    return region
  }
}
