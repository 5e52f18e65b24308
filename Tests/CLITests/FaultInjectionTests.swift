import Formats
import Foundation
import TestSupport
import Testing

/// Interrupts and kills at every step of a conversion's commit, injected with strace
/// (`-e inject=SYSCALL:signal=SIG:when=N`): at each rename, fsync, write (`pwrite64` for the
/// shards, written past the page cache from another thread), unlink, rmdir, mkdir
/// and flock the conversion makes, in turn, SIGKILL and SIGINT (bundle) or SIGTERM (HDF5) are
/// delivered as the call is entered. After every run the output is either the complete old
/// export or the complete new one (opened with every checksum); after an interrupt nothing else
/// is left in the folder; after a kill, the next run leaves nothing else.
@Suite(.serialized) struct FaultInjectionTests {
  static let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }

  struct Output: Sendable, CustomStringConvertible {
    let name: String
    let options: [String]
    let syscalls: [String]
    let interrupt: String
    var description: String { name }
  }

  static let outputs = [
    Output(
      name: "bundle", options: ["--shard-size", "40000"],
      syscalls: ["renameat2", "fsync", "write", "pwrite64", "unlink", "rmdir", "mkdir", "flock"],
      interrupt: "INT"),
    Output(
      name: "model.h5", options: [], syscalls: ["rename", "fsync", "pwrite64", "write", "unlink", "flock"],
      interrupt: "TERM"),
  ]

  /// The variant of the complete export at `path` (every file and checksum checked), or nil.
  static func variant(_ path: String) -> String? {
    (try? Exports.open(path))?.header.model.variant
  }

  /// Everything in `dir` other than the checkpoint and the output.
  static func leftovers(_ dir: TemporaryDirectory, _ output: Output) -> [String] {
    dir.contents().filter { $0 != "params.npz" && $0 != output.name && $0 != "old-" + output.name }
  }

  /// How many times a normal conversion makes each system call.
  static func counts(_ output: Output, _ dir: TemporaryDirectory, _ arguments: [String]) throws -> [String: Int] {
    let trace = dir.file("trace.txt")
    let result = try CommandRunner.run(
      arguments,
      prefix: [
        strace!, "-f", "-qq", "-o", trace, "-e",
        "trace=" + output.syscalls.joined(separator: ","),
      ])
    #expect(result.status == 0, "\(result.standardError)")
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    try FileManager.default.removeItem(atPath: trace)
    var counts: [String: Int] = [:]
    for line in text.split(separator: "\n") {
      let call = line.drop { $0.isNumber || $0 == " " }.prefix { $0 != "(" }
      if output.syscalls.contains(String(call)) { counts[String(call), default: 0] += 1 }
    }
    return counts
  }

  @Test(.enabled(if: strace != nil, "strace is not installed (make test installs it)"), arguments: outputs)
  func everyStepOfTheCommitLeavesTheOldOrTheNewExport(output: Output) throws {
    let dir = TemporaryDirectory()
    let source = dir.file("params.npz")
    try FileManager.default.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: source)
    let target = dir.file(output.name)
    // The old export holds features, the new one classifies.
    let old = dir.file("old-" + output.name)
    #expect(try CommandRunner.run([source, old, "--quiet", "--variant", "features"] + output.options).status == 0)
    let arguments = [source, target, "--force", "--quiet"] + output.options
    func resetToOld() throws {
      try? FileManager.default.removeItem(atPath: target)
      try FileManager.default.copyItem(atPath: old, toPath: target)
    }
    try resetToOld()
    let counts = try Self.counts(output, dir, arguments)
    #expect(counts["fsync", default: 0] >= 2 && counts.count >= 4, "\(counts)")
    var runs = 0
    var interrupted = 0
    for signal in ["KILL", output.interrupt] {
      for (call, count) in counts.sorted(by: { $0.key < $1.key }) {
        for n in 1...count {
          try resetToOld()
          let result = try CommandRunner.run(
            arguments,
            prefix: [
              Self.strace!, "-f", "-qq", "-o", "/dev/null", "-e", "trace=\(call)", "-e",
              "inject=\(call):signal=\(signal):when=\(n)",
            ])
          runs += 1
          let step = "\(signal) at \(call) #\(n) of \(count)"
          let found = Self.variant(target)
          #expect(
            found == "features" || found == "classification",
            "\(step): the output is \(found ?? "missing or incomplete")")
          if signal == "KILL" {
            #expect(
              result.status == 0 || (result.signaled && result.status == SIGKILL), "\(step): \(result.standardError)")
            let next = try CommandRunner.run(arguments)
            #expect(
              next.status == 0 && Self.variant(target) == "classification", "\(step): next run: \(next.standardError)")
          } else {
            let status = output.interrupt == "INT" ? 128 + SIGINT : 128 + SIGTERM
            #expect(
              result.status == 0 || result.status == status, "\(step): exit \(result.status) \(result.standardError)")
            if result.status == status { interrupted += 1 }
            #expect(result.standardError.isEmpty, "\(step): \(result.standardError)")
          }
          #expect(Self.leftovers(dir, output).isEmpty, "\(step): left \(Self.leftovers(dir, output))")
        }
      }
    }
    #expect(runs >= 10)
    #expect(interrupted >= runs / 4, "the interrupts took effect in \(interrupted) of \(runs) runs")
  }

  /// A file system that cannot exchange two folders: an existing bundle is not replaced (and
  /// not lost); one that cannot rename without replacing still gets new outputs.
  @Test(.enabled(if: strace != nil, "strace is not installed (make test installs it)"))
  func renameFlagsTheFileSystemLacks() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    #expect(try CommandRunner.run([source, dir.file("b"), "--quiet", "--variant", "features"]).status == 0)
    let refused = try CommandRunner.run(
      [source, dir.file("b"), "--force", "--quiet"],
      prefix: [
        Self.strace!, "-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat2", "-e", "inject=renameat2:error=EINVAL",
      ])
    #expect(
      refused.status == 2 && refused.standardError.contains("cannot exchange two folders atomically"),
      "\(refused.standardError)")
    #expect(Self.variant(dir.file("b")) == "features" && dir.contents() == ["b"])
    for name in ["new", "new.h5"] {
      let fallback = try CommandRunner.run(
        [source, dir.file(name), "--quiet"],
        prefix: [
          Self.strace!, "-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat2", "-e", "inject=renameat2:error=EINVAL",
        ])
      #expect(fallback.status == 0 && Self.variant(dir.file(name)) == "classification", "\(fallback.standardError)")
    }
    #expect(dir.contents() == ["b", "new", "new.h5"])
  }
}
