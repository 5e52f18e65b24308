import Foundation

/// What a benchmark ran on: every table names its CPU.
enum CPUDescription {
  /// The CPU's model name, family and model numbers, and cache sizes, from /proc/cpuinfo and sysfs.
  static var current: String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    func field(_ name: String) -> String {
      info.split(separator: "\n").first { $0.hasPrefix(name) }.map {
        $0.split(separator: ":", maxSplits: 1).last!
          .trimmingCharacters(in: .whitespaces)
      } ?? "?"
    }
    let caches = (0..<4).compactMap { index -> String? in
      let base = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
      guard let level = try? String(contentsOfFile: base + "level", encoding: .utf8),
        let type = try? String(contentsOfFile: base + "type", encoding: .utf8),
        let size = try? String(contentsOfFile: base + "size", encoding: .utf8)
      else { return nil }
      let kind = type.hasPrefix("Data") ? "d" : type.hasPrefix("Instruction") ? "i" : ""
      return
        "L\(level.trimmingCharacters(in: .whitespacesAndNewlines))\(kind) \(size.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
    return
      "\(field("model name")) (family \(field("cpu family")), model \(field("model"))); \(caches.joined(separator: ", "))"
  }
}
