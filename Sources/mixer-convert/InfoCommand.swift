import ArgumentParser
import CImageDecode
import CLibzip
import CZlib
import Formats
import Foundation
import Kernels
import Runtime

/// `mixer-convert info`: the build, its libraries, and the compute kernels this CPU runs.
struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the version, libraries, compute-kernel path and memory budget; --check tests the kernels.",
    discussion: """
      The kernels are compiled three times: for AVX-512, for AVX2 with FMA, and for any \
      x86-64 (or other CPU) with no extensions. The fastest one the CPU supports is chosen at \
      start-up; set \(KernelPath.environmentVariable)=avx2 or portable to force a slower one \
      (an unsupported choice is ignored). --check runs every supported path on small problems \
      against a double-precision reference and exits 1 if any is wrong. The libraries are the \
      ones this program runs with (libjpeg-turbo's version is the one it was built against). \
      The memory line is what one run (or one export read into memory) may claim: half of the \
      machine's memory, of the control group's limit (a container's or a Slurm job's), of \
      `ulimit -v`, or of \(MemoryBudget.shareVariable) (bytes; convert-all sets it for each \
      conversion it runs), whichever is least; a batch that would need more is refused.

      Examples:
        mixer-convert info
        mixer-convert info --check
        MIXER_CONVERT_KERNELS=portable mixer-convert info --check --json
      """)

  @Flag(help: "Run each supported kernel path against a reference.")
  var check = false

  @Flag(help: "Print JSON.")
  var json = false

  /// A linked library and its version.
  struct Library: Encodable {
    let name: String
    let version: String
  }

  /// Every library this program links or loads, with its version.
  static var libraries: [Library] {
    [
      Library(name: "libzip", version: String(cString: zip_libzip_version())),
      Library(name: "zlib", version: String(cString: zlibVersion())),
      Library(name: "libhdf5", version: HDF5Library.version ?? "unavailable: \(HDF5Library.unavailable!)"),
      Library(name: "libjpeg-turbo", version: String(cString: mc_libjpeg_version())),
      Library(name: "libpng", version: String(cString: mc_libpng_version())),
    ]
  }

  struct Report: Encodable {
    struct Path: Encodable {
      let name: KernelPath
      let supported: Bool
      let selected: Bool
    }
    /// `MIXER_CONVERT_KERNELS` as set, and whether it was ignored: honoured only when it names
    /// a path this CPU runs (the one selected then).
    struct KernelRequest: Encodable {
      let value: String
      let ignored: Bool
    }
    let version: String
    let libraries: [Library]
    let kernels: [Path]
    /// Absent when the variable is not set.
    let kernelRequest: KernelRequest?
    let threads: Int
    /// What one run (or one export read into memory) may claim, and what bounds it.
    struct Memory: Encodable {
      let budgetBytes: Int
      let bound: MemoryBudget.Bound
      /// The share variable's value when it is set but not a whole number of bytes.
      let shareIgnored: String?
    }
    let memory: Memory
    let checks: [KernelCheck]?
  }

  func run() throws {
    let checks = check ? KernelPath.allCases.filter(\.isSupported).map(KernelCheck.run) : nil
    let report = Report(
      version: MixerConvert.configuration.version, libraries: Self.libraries,
      kernels: KernelPath.allCases.map { .init(name: $0, supported: $0.isSupported, selected: $0 == .selected) },
      kernelRequest: ProcessInfo.processInfo.environment[KernelPath.environmentVariable].map {
        .init(value: $0, ignored: $0 != KernelPath.selected.rawValue)
      }, threads: Compute.availableProcessors,
      memory: .init(
        budgetBytes: MemoryBudget.bytes, bound: MemoryBudget.limit.bound, shareIgnored: MemoryBudget.ignoredShare),
      checks: checks)
    if json {
      try Console.printJSON(report)
    } else {
      Console.line(
        "mixer-convert \(report.version) · "
          + report.libraries.map { "\($0.name) \($0.version)" }.joined(separator: " · "))
      let forced =
        report.kernelRequest.map {
          " (\(KernelPath.environmentVariable)=\($0.value)\($0.ignored ? ", ignored" : ""))"
        } ?? ""
      Console.line("kernels: \(KernelPath.selected.rawValue)\(forced); threads: \(report.threads)")
      let ignoredShare =
        report.memory.shareIgnored.map {
          "; \(MemoryBudget.shareVariable)=\(Console.oneLine($0)) ignored: not a whole number of bytes"
        } ?? ""
      Console.line(
        "memory: \(MemoryBudget.amount(report.memory.budgetBytes)) for one run (\(report.memory.bound.words))"
          + ignoredShare)
      for path in report.kernels {
        let check = checks?.first { $0.path == path.name }
        let status =
          check.map { c in
            (c.passed ? "check ok" : "CHECK FAILED") + " (max errors: "
              + c.maxErrors.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1e", $0.value))" }.joined(
                separator: ", ") + ")"
          }.map { "  " + $0 } ?? ""
        Console.line(
          "  \(path.name.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))"
            + (path.supported ? "supported" : "not supported") + (path.selected ? ", selected" : "") + status)
      }
    }
    if let checks, checks.contains(where: { !$0.passed }) { throw ExitCode(1) }
  }
}
