import Foundation

/// Names of the hidden files written beside an output `NAME`: its temporaries
/// `.STEM.tmp-PID-N`, its lock file `.STEM.lock`, and the mark `.STEM.unverified` of a batch's
/// pending verification (``PendingVerification``).
///
/// `STEM` is `NAME` itself when that keeps every sibling name within the 255 bytes a file
/// name may have; a longer `NAME` (legal up to 255 bytes) is shortened to its first bytes, a
/// `~` and 16 hex digits of its SHA-256, so that two different names never share a stem.
enum SiblingNames {
  /// The longest stem: `.` + stem + `.tmp-` + a 10-digit PID + `-` + a 20-digit serial ≤ 255.
  static let maxStemBytes = 218

  static func stem(_ name: String) -> String {
    guard name.utf8.count > maxStemBytes else { return name }
    var prefix = ""
    var bytes = 0
    for scalar in name.unicodeScalars {
      bytes += String(scalar).utf8.count
      guard bytes <= maxStemBytes - 17 else { break }
      prefix.unicodeScalars.append(scalar)
    }
    return prefix + "~" + SHA256Stream.hex(of: Array(name.utf8)).prefix(16)
  }

  /// The folder an output is in (`.` for a bare name) and the stem of its sibling names.
  static func place(of output: String) -> (folder: String, stem: String) {
    let folder = (output as NSString).deletingLastPathComponent
    return (folder.isEmpty ? "." : folder, stem((output as NSString).lastPathComponent))
  }

  static func temporary(stem: String, pid: Int32, serial: Int) -> String { ".\(stem).tmp-\(pid)-\(serial)" }

  static func lock(stem: String) -> String { ".\(stem).lock" }

  static func pendingVerification(stem: String) -> String { ".\(stem).unverified" }

  /// The stem of a lock file's name, or nil for any other name.
  static func parseLock(_ entry: String) -> String? {
    guard entry.hasPrefix("."), entry.hasSuffix(".lock"), entry.utf8.count > 6 else { return nil }
    return String(entry.dropFirst().dropLast(5))
  }

  /// The stem and process of a temporary's name, or nil for any other name.
  static func parseTemporary(_ entry: String) -> (stem: String, pid: Int32)? {
    guard entry.hasPrefix("."), let marker = entry.range(of: ".tmp-", options: .backwards),
      marker.lowerBound > entry.index(after: entry.startIndex)
    else { return nil }
    let numbers = entry[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard numbers.count == 2,
      numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
      let pid = Int32(numbers[0]), pid > 0
    else { return nil }
    return (String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound]), pid)
  }
}
