import CSupport
import Foundation

/// The three builds of the compute kernels; one is chosen at start-up.
///
/// The hot loops are compiled three times from one source (`Sources/KernelBackend`): for
/// AVX-512 (`-target-cpu skylake-avx512`, a 12×32 micro-kernel), for AVX2 with FMA (`haswell`,
/// 6×16), and for the baseline target with no CPU assumptions (4×8, no FMA). Nothing of a
/// build is executed unless the CPU supports it, so the binary runs on any x86-64 and uses
/// the fastest path the machine has.
public enum KernelPath: String, CaseIterable, Sendable, Codable {
  case avx512
  case avx2
  case portable

  /// The environment variable that forces a slower path (`avx2` or `portable`), for testing
  /// and comparison.
  public static let environmentVariable = "MIXER_CONVERT_KERNELS"

  /// Whether this CPU can run the path.
  public var isSupported: Bool {
    switch self {
    case .avx512: csupport_cpu_has_avx512() != 0
    case .avx2: csupport_cpu_has_avx2_fma() != 0
    case .portable: true
    }
  }

  /// The fastest supported path, or the one named by ``environmentVariable`` when that is
  /// set to a supported path.
  public static let selected: KernelPath = {
    if let forced = ProcessInfo.processInfo.environment[environmentVariable].flatMap(KernelPath.init(rawValue:)),
      forced.isSupported
    {
      return forced
    }
    return allCases.first { $0.isSupported }!
  }()

  /// The compiled kernels of this path. Traps if the CPU cannot run them.
  var table: KernelTable {
    precondition(isSupported, "the \(rawValue) kernels are not supported on this CPU")
    switch self {
    case .avx512: return KernelTable.avx512
    case .avx2: return KernelTable.avx2
    case .portable: return KernelTable.portable
    }
  }
}
