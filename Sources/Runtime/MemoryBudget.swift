import Foundation

/// The most memory one run (or one export read into memory) may claim: half of the machine's
/// physical memory, so that a claim from a file or an option fails with a message instead of
/// the process being killed or trapping on a failed allocation.
public enum MemoryBudget {
  /// The budget in bytes.
  public static let bytes = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)

  /// Why tensors of `total` bytes cannot be loaded, or nil when they fit the budget.
  public static func refusal(tensorBytes total: Int) -> String? {
    total <= bytes ? nil : "its tensors claim \(gibibytes(total)), more than half of this machine's memory"
  }

  /// `bytes` in GiB with one decimal, for messages.
  public static func gibibytes(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
}
