import Foundation
import Graph
import Kernels

#if canImport(Glibc)
import Glibc
#endif

/// The most memory one run (or one export read into memory) may claim: half of what this
/// process may use, so that a claim from a file or an option fails with a message instead of
/// the process being killed or trapping on a failed allocation.
///
/// What the process may use is the least of the machine's physical memory, the memory limit of
/// its control group (a container's or a Slurm job's: cgroup v2 `memory.max`, v1
/// `memory.limit_in_bytes`, the tightest along its path), its address-space limit
/// (`ulimit -v`), and for one of `convert-all --jobs N`'s children, its share: what the batch
/// may use divided by N, passed down in ``shareVariable``.
public enum MemoryBudget {
  /// What bounds the memory this process may use.
  public enum Bound: String, Sendable, Equatable, Encodable {
    case physicalMemory = "physical_memory"
    case controlGroup = "control_group"
    case addressSpace = "address_space"
    case jobShare = "job_share"

    /// Words for messages: "half of this machine's memory".
    public var words: String {
      switch self {
      case .physicalMemory: "half of this machine's memory"
      case .controlGroup: "half of this process's control-group memory limit"
      case .addressSpace: "half of this process's address-space limit, ulimit -v"
      case .jobShare: "half of this job's share of what convert-all may use"
      }
    }
  }

  /// The environment variable that gives a child process its share of the parent's memory, in
  /// bytes (`convert-all --jobs N` gives each child ``sharedLimit`` / N).
  public static let shareVariable = "MIXER_CONVERT_MEMORY_SHARE"

  /// The tightest of the limits, in bytes, and which one it is.
  public static let limit: (bytes: Int, bound: Bound) = tightest(
    physical: physicalMemory, controlGroup: controlGroup, addressSpace: addressSpaceLimit(), share: inheritedShare)

  /// The tightest of the limits this process shares with others (physical memory, the control
  /// group's, its own share), leaving out the address-space limit that each process has to
  /// itself: what `convert-all` divides among its children.
  public static var sharedLimit: Int {
    tightest(physical: physicalMemory, controlGroup: controlGroup, addressSpace: nil, share: inheritedShare).bytes
  }

  private static let physicalMemory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
  private static let controlGroup = controlGroupLimit()
  /// ``shareVariable``'s value when it is set but not a positive whole number of bytes, and so
  /// ignored (nil when it is unset or taken).
  public static var ignoredShare: String? { inheritedShare == nil ? shareText : nil }

  private static let shareText = ProcessInfo.processInfo.environment[shareVariable]
  /// ``shareVariable``'s value when it is a positive whole number of bytes (others are ignored).
  private static let inheritedShare = shareText.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }

  /// The budget in bytes.
  public static var bytes: Int { limit.bytes / 2 }

  /// Why tensors of `total` bytes cannot be loaded, or nil when they fit the budget.
  public static func refusal(tensorBytes total: Int) -> String? {
    total <= bytes ? nil : "its tensors claim \(amount(total)), more than \(limit.bound.words)"
  }

  /// Why an export's weights cannot be made ready to run, or nil when they fit the budget: its
  /// `elements` values are read as stored (`storedItemSize` bytes each, mapped or loaded) and
  /// held again as float32 values packed for the kernels; a verification (`withReference`)
  /// holds the original's float32 values once more.
  public static func refusal(weightElements elements: Int, storedItemSize: Int, withReference: Bool) -> String? {
    let total = elements * (storedItemSize + 4 * (withReference ? 2 : 1))
    guard total > bytes else { return nil }
    return "its weights need about \(amount(total)) of memory to \(withReference ? "verify" : "run"), "
      + "more than \(limit.bound.words)"
  }

  /// ``refusal(weightElements:storedItemSize:withReference:)`` for the weights of `manifest`
  /// (nil for a dtype an export may not store: the graph's validation refuses it).
  public static func refusal(weights manifest: WeightManifest, withReference: Bool) -> String? {
    manifest.itemSize.flatMap {
      refusal(weightElements: manifest.elementCount, storedItemSize: $0, withReference: withReference)
    }
  }

  /// Why a run of `batch` images cannot start, or nil when it fits the budget, by `estimate`
  /// with `compute`'s threads.
  public static func refusal(batch: Int, estimate: MemoryEstimate, compute: Compute) -> String? {
    // Work runs on at most one thread per core, whatever `threads` allows.
    let needed = estimate.bytes(batch: batch, threads: min(compute.threads, Compute.availableProcessors))
    if let needed, needed <= bytes { return nil }
    let need = needed.map { "about " + amount($0) } ?? "more memory than can be counted"
    return "a batch of \(batch) needs \(need) to run, more than the \(amount(bytes)) allowed "
      + "(\(limit.bound.words)): use a smaller batch or input size"
  }

  /// `bytes` for messages: in GiB with one decimal from 1 GiB, else in whole MiB from 1 MiB,
  /// in whole KiB from 1 KiB, else in bytes.
  public static func amount(_ bytes: Int) -> String {
    if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
    if bytes >= 1 << 20 { return String(format: "%.0f MiB", Double(bytes) / Double(1 << 20)) }
    if bytes >= 1 << 10 { return String(format: "%.0f KiB", Double(bytes) / 1024) }
    return "\(bytes) bytes"
  }

  /// The least of the limits given (nil: none), physical memory winning ties.
  static func tightest(
    physical: Int, controlGroup: Int?, addressSpace: Int?, share: Int? = nil
  ) -> (bytes: Int, bound: Bound) {
    var result = (bytes: physical, bound: Bound.physicalMemory)
    if let controlGroup, controlGroup < result.bytes { result = (controlGroup, .controlGroup) }
    if let addressSpace, addressSpace < result.bytes { result = (addressSpace, .addressSpace) }
    if let share, share < result.bytes { result = (share, .jobShare) }
    return result
  }

  /// The soft address-space limit (`ulimit -v`) in bytes, nil when unlimited.
  public static func addressSpaceLimit() -> Int? {
    #if os(Linux)
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
      return nil
    }
    return Int(clamping: limit.rlim_cur)
    #else
    return nil
    #endif
  }

  /// The tightest memory limit of this process's control groups, nil when there is none (or
  /// none can be read).
  static func controlGroupLimit() -> Int? {
    guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
    return controlGroupLimit(membership: membership) { try? String(contentsOfFile: $0, encoding: .utf8) }
  }

  /// The tightest limit found for the groups of `membership` (the text of `/proc/self/cgroup`),
  /// reading each limit file with `read`: every group from the process's own up to the root,
  /// as a limit on a parent binds its children.
  static func controlGroupLimit(membership: String, read: (String) -> String?) -> Int? {
    var limits: [Int] = []
    for line in membership.split(separator: "\n") {
      let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard fields.count == 3 else { continue }
      let file: String
      let root: String
      if fields[0] == "0" && fields[1].isEmpty {
        (root, file) = ("/sys/fs/cgroup", "memory.max")
      } else if fields[1].split(separator: ",").contains("memory") {
        (root, file) = ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
      } else {
        continue
      }
      let groups = fields[2].split(separator: "/")
      for depth in 0...groups.count {
        let group = groups.prefix(depth).map { "/" + $0 }.joined()
        if let text = read(root + group + "/" + file),
          let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0
        {
          limits.append(value)
        }
      }
    }
    return limits.min()
  }
}
