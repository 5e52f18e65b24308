import Foundation

/// Human-readable numbers for text output.
enum Formatting {
  /// `251658240` → `240.0 MiB`.
  static func bytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format: "%.1f", value) + " " + units[unit]
  }

  /// `0.1234` → `0.123 s`.
  static func seconds(_ s: Double) -> String { String(format: "%.3g s", s) }

  /// `0.1036` → `103.6 ms`; `0.0000420` → `0.0420 ms`: a tiny model's latency keeps three
  /// significant digits instead of rounding to `0.0 ms`.
  static func milliseconds(_ s: Double) -> String {
    let ms = s * 1e3
    return String(format: ms >= 10 ? "%.1f ms" : "%#.3g ms", ms)
  }

  /// Compact float for tables.
  static func number(_ x: Double) -> String { String(format: "%.4g", x) }
}
