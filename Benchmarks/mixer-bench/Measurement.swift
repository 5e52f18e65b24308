import Foundation
import Kernels

/// Repeated timings of one thing, summarised by median and range.
struct Measurement {
  private(set) var seconds: [Double] = []

  mutating func record(_ body: () throws -> Void) rethrows { seconds.append(try secondsTaken(body)) }

  var median: Double { mixer_bench.median(seconds) }

  var range: ClosedRange<Double> { seconds.min()!...seconds.max()! }

  /// `12.3 ms (11.9–13.0)`.
  var text: String {
    "\(Self.format(median)) (\(Self.format(range.lowerBound))–\(Self.format(range.upperBound)))"
  }

  static func format(_ s: Double) -> String {
    s >= 1
      ? String(format: "%.2f s", s)
      : s >= 1e-3 ? String(format: "%.1f ms", s * 1e3) : String(format: "%.0f µs", s * 1e6)
  }
}

/// The `q` quantile (0 ... 1) of `values`, interpolated linearly between the two nearest
/// (so the median of an even count is the mean of the middle two).
func quantile(_ values: [Double], _ q: Double) -> Double {
  precondition(!values.isEmpty, "quantile of no values")
  let sorted = values.sorted()
  let position = q * Double(sorted.count - 1)
  let below = Int(position.rounded(.down))
  let above = min(below + 1, sorted.count - 1)
  return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double { quantile(values, 0.5) }

/// Seconds as `median (min–max)`: `0.339 (0.284–0.420)`.
func secondsText(_ values: [Double]) -> String {
  String(format: "%.3f (%.3f–%.3f)", median(values), values.min()!, values.max()!)
}

/// Wall-clock seconds one call of `body` takes.
func secondsTaken(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Round by round, `ours[r] / reference[r]` (two things timed in the same round of an
/// interleaved run, so a slow spell of the host that spans the round moves both), as
/// `median (lower quartile–upper quartile)`: `1.02 (0.97–1.06)`.
func pairedRatioText(_ ours: [Double], _ reference: [Double]) -> String {
  precondition(ours.count == reference.count, "pairedRatioText: one sample per round on each side")
  let ratios = zip(ours, reference).map { $0 / $1 }
  return String(format: "%.2f (%.2f–%.2f)", median(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75))
}

/// A named thing to time: one run, its seconds.
typealias TimedRun = (name: String, time: () throws -> Double)

/// Times every timer once per round for `runs` rounds, the order rotated by one every round
/// (so that a slow spell of this shared host falls on all of them alike, and none always runs
/// right after the same other), calling `afterRound` after each round. The seconds per timer's
/// name, in round order: sample `r` of every timer is round `r`'s.
func interleave(runs: Int, _ timers: [TimedRun], afterRound: () throws -> Void = {}) throws -> [String: [Double]] {
  var samples: [String: [Double]] = [:]
  for round in 0..<runs {
    for offset in timers.indices {
      let timer = timers[(round + offset) % timers.count]
      samples[timer.name, default: []].append(try timer.time())
    }
    try afterRound()
  }
  return samples
}

/// Runs a shell command line and waits, discarding its output. Spawned and reaped directly
/// (``measureProcess(_:)``): Foundation's `Process.waitUntilExit` polls on Linux and added up to
/// 50 ms to every timed command (`inspect` measured 51 or 101 ms, never between).
func shell(_ command: String) throws {
  _ = try measureProcess(["/bin/sh", "-c", command])
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// `1.23 GB/s` (decimal gigabytes, as disk and memory bandwidth are quoted).
func throughput(_ bytes: Int, _ seconds: Double) -> String {
  String(format: "%.2f GB/s", Double(bytes) / seconds / 1e9)
}

/// `text` left-aligned in a column of `width` characters (`%-N@` does not pad Swift strings).
func padded(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// FLOPS (two per multiply-add) of the machine's tight FMA loop on `threads` threads at once
/// (one: the calling thread), the best of `attempts` runs of `iterations` loop iterations each.
func fmaPeakFLOPS(threads: Int, iterations: Int = 100_000_000, attempts: Int = 3) -> Double {
  let compute = Compute(threads: 1)
  var best = 0.0
  for _ in 0..<attempts {
    let start = DispatchTime.now().uptimeNanoseconds
    let madds = Counter()
    if threads == 1 {
      madds.add(compute.measureFMAPeak(iterations: iterations).multiplyAdds)
    } else {
      DispatchQueue.concurrentPerform(iterations: threads) { _ in
        madds.add(compute.measureFMAPeak(iterations: iterations).multiplyAdds)
      }
    }
    best = max(best, 2 * Double(madds.value) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
  }
  return best
}

/// A thread-safe sum.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0
  func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
  var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}
