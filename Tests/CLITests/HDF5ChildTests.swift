import Foundation
import TestSupport
import Testing

/// The child process that reads HDF5 files runs under resource limits (issue 13, finding 8).
@Suite struct HDF5ChildTests {
  static let time = "/usr/bin/time"

  /// One flipped byte (offset 963 of a ViT-Ti/16 export, in a B-tree node) made the child
  /// allocate 8 GB for 12 s and more before it succeeded; now it fails at once within its
  /// address-space limit, and the parent reports one line.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: time), "GNU time is not installed (make test installs it)"))
  func aDamagedFileCannotMakeTheReaderRunAway() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("flipped.h5")
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Checkpoints.vitTinyHDF5)))
    bytes[963] = 0xFF
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let start = Date()
    let child = try CommandRunner.run(["internal-read-hdf5", path], prefix: [Self.time, "-f", "maxrss %M"])
    let kilobytes = child.standardError.split(separator: "\n").last.flatMap { Int($0.dropFirst("maxrss ".count)) }
    #expect(child.status != 0)
    #expect(try #require(kilobytes) < 1_500_000, "the child used \(kilobytes ?? 0) kB")
    #expect(Date().timeIntervalSince(start) < 10)
    let parent = try CommandRunner.run(["inspect", path])
    #expect(parent.refused(path + ": "), "\(parent.standardError)")
  }

  /// The child sets its limits before libhdf5 reads anything: address space, CPU time, no core.
  @Test(.enabled(if: FaultInjectionTests.strace != nil, "strace is not installed (make test installs it)"))
  func theReaderLimitsItself() throws {
    let dir = TemporaryDirectory()
    let result = try CommandRunner.run(
      ["internal-read-hdf5", Checkpoints.vitTinyHDF5],
      prefix: [
        FaultInjectionTests.strace!, "-qq", "-o", dir.file("trace"), "-e", "trace=prlimit64,setrlimit,openat",
      ])
    #expect(result.status == 0)
    let trace = try String(contentsOfFile: dir.file("trace"), encoding: .utf8).split(separator: "\n")
    let opened = try #require(trace.firstIndex { $0.contains("/proc/self/fd/") })
    for resource in ["RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_AS"] {
      let set = trace.firstIndex {
        ($0.hasPrefix("prlimit64(0, \(resource), {") || $0.hasPrefix("setrlimit(\(resource)"))
      }
      #expect(set.map { $0 < opened } == true, "\(resource) is limited before the file is opened")
    }
    #expect(trace.filter { $0.contains("RLIMIT_AS, {") }.count >= 2, "raised once the tensors are known")
  }
}

extension HDF5ChildTests {
  /// A file the fuzzer found (Fuzz/Regressions/hdf5) on which libhdf5 loops: the child's CPU
  /// limit ends it after 5 s, and the parent says so in one line.
  @Test func aFileOnWhichLibhdf5LoopsIsStoppedByTheCPULimit() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/hdf5/libhdf5-loops-until-cpu-limit.h5").path
    let result = try CommandRunner.run(["inspect", path])
    #expect(result.refused("took more than the HDF5 reader's CPU time limit"), "\(result.standardError)")
  }
}
