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

  /// Compact float for tables.
  static func number(_ x: Double) -> String { String(format: "%.4g", x) }
}
