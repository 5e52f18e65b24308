import Checkpoint
import Foundation
import TestSupport
import Testing

/// What the process's surroundings can do to it, rather than its input's bytes: a standard
/// error that cannot be written, an export truncated by another program while it is read.
@Suite struct HostileSurroundingsTests {
  /// Runs mixer-convert with `arguments` through `sh`, standard error redirected by `redirection`.
  private func run(_ arguments: [String], standardError redirection: String) throws -> CommandResult {
    try CommandRunner.run(arguments, prefix: ["/bin/sh", "-c", "exec \"$0\" \"$@\" " + redirection])
  }

  /// An error or a warning that cannot be written (standard error on a full disk, or closed)
  /// is lost, and the exit status is still the command's own; nothing lands in a file the
  /// command opens (with descriptor 2 closed, the first file opened would have taken it).
  @Test func anUnwritableStandardErrorLeavesTheExitStatusAlone() throws {
    let dir = TemporaryDirectory()
    try Data("not a zip".utf8).write(to: URL(fileURLWithPath: dir.file("bad.npz")))
    for redirection in ["2>/dev/full", "2>&-"] {
      let bad = try run([dir.file("bad.npz"), dir.file("out")], standardError: redirection)
      #expect(bad.status == 2 && !bad.signaled, "\(redirection): \(bad.status)")
      let usage = try run(["--no-such-option"], standardError: redirection)
      #expect(usage.status == 2 && !usage.signaled, "\(redirection): \(usage.status)")
    }
    #expect(dir.contents() == ["bad.npz"])
    // A conversion that warns while its output is open (an infinite weight), with standard
    // error closed (descriptor 2 then holds /dev/null, so no file opened takes it), succeeds; the warning lands
    // nowhere, and the export is byte for byte the one a run with standard error open writes.
    let source = Fixtures.path("mixer_tiny")
    let head = try #require(try NpzFile(path: source).arrays.first { $0.key == "head/bias" })
    var values = [Float](repeating: 0.01, count: head.shape.reduce(1, *))
    values[0] = .infinity
    let infinite = dir.file("inf.npz")
    try CheckpointRewriter.rewrite(
      source, to: infinite, replace: ["head/bias": .init(shape: head.shape, values: values)])
    for (name, redirection) in [("closed.h5", "2>&-"), ("open.h5", "2>/dev/null")] {
      let converted = try run([infinite, dir.file(name), "--quiet"], standardError: redirection)
      #expect(converted.status == 0 && !converted.signaled, "\(redirection): \(converted.status)")
    }
    let closed = try Data(contentsOf: URL(fileURLWithPath: dir.file("closed.h5")))
    #expect(closed.range(of: Data("mixer-convert: warning".utf8)) == nil)
    #expect(try CommandRunner.run(["inspect", dir.file("closed.h5")]).status == 0)
    #expect(closed == (try Data(contentsOf: URL(fileURLWithPath: dir.file("open.h5")))))
  }

  /// An export's shard truncated by another program while `verify` reads it (the shard is
  /// mapped: a read of a page past the new end faults) is one error line naming the shard,
  /// status 2, not a crash. The truncation comes as soon as the shard is seen mapped in
  /// `/proc/PID/maps`; up to eight attempts, as a run may finish reading before it.
  @Test func anExportTruncatedWhileReadIsAnErrorNamingIt() throws {
    let dir = TemporaryDirectory()
    let checkpoint = Checkpoints.vitTiny
    #expect(try CommandRunner.run([checkpoint, dir.file("pristine"), "--quiet"]).status == 0)
    let shardName = try #require(
      try FileManager.default.contentsOfDirectory(atPath: dir.file("pristine")).first { $0.hasSuffix(".safetensors") })
    var refusals = 0
    for attempt in 0..<8 where refusals == 0 {
      let export = dir.file("e\(attempt)")
      try FileManager.default.copyItem(atPath: dir.file("pristine"), toPath: export)
      let shard = export + "/" + shardName
      let process = Process()
      process.executableURL = URL(fileURLWithPath: try CommandRunner.executable())
      process.arguments = ["verify", checkpoint, export]
      let errors = Pipe()
      process.standardError = errors
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      let maps = "/proc/\(process.processIdentifier)/maps"
      while process.isRunning {
        if let text = try? String(contentsOfFile: maps, encoding: .utf8), text.contains(shardName) {
          #expect(truncate(shard, 4096) == 0)
          break
        }
        usleep(200)
      }
      let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationReason == .exit, "attempt \(attempt): ended by signal \(process.terminationStatus)")
      #expect([0, 2].contains(process.terminationStatus), "attempt \(attempt): \(message)")
      if process.terminationStatus == 2 {
        #expect(message == "mixer-convert: error: \(shard): was truncated by another program while this one read it\n")
        refusals += 1
      }
    }
    #expect(refusals == 1, "no attempt truncated the shard while verify read it")
  }

  /// Under an address-space limit too small to start threads in (`ulimit -v`), every command is
  /// refused in one line before any work (a 100 MB limit hung a conversion for ever).
  @Test func aTinyAddressSpaceIsRefusedAtOnce() throws {
    let dir = TemporaryDirectory()
    let result = try CommandRunner.run(
      [Fixtures.path("mixer_tiny"), dir.file("out")],
      prefix: ["/bin/sh", "-c", "ulimit -v 150000 && exec \"$0\" \"$@\""])
    #expect(result.refused("of address space (ulimit -v), and mixer-convert needs at least 256 MiB"), "\(result)")
    #expect(dir.contents().isEmpty)
  }

  /// Weights that would not fit in the memory budget once packed are refused by `run` and
  /// `verify` before any is packed (a failed allocation would have ended the process), `verify`
  /// counting the original's values too, and by `convert --verify` before the export is
  /// written; the budget here is half a job's share.
  @Test func weightsBeyondTheBudgetAreRefusedBeforeTheyArePacked() throws {
    let dir = TemporaryDirectory()
    let checkpoint = Checkpoints.vitTiny  // 5.7 M values: 23 MB stored, 46 MB to run, 69 MB to verify
    #expect(try CommandRunner.run([checkpoint, dir.file("e"), "--quiet"]).status == 0)
    let input = dir.file("x.npy")
    try NpyFile.write(
      [Float](repeating: 0.5, count: 224 * 224 * 3), shape: [1, 224, 224, 3], to: input, replacing: false)
    func share(_ megabytes: Int) -> [String: String] { ["MIXER_CONVERT_MEMORY_SHARE": "\(megabytes << 20)"] }
    let verifyTight = try CommandRunner.run(["verify", checkpoint, dir.file("e")], environment: share(120))
    #expect(
      verifyTight.refused("\(dir.file("e")): its weights need about 65 MiB of memory to verify"), "\(verifyTight)")
    let runTight = try CommandRunner.run(
      ["run", dir.file("e"), "--input", input, "--output", dir.file("y.npy")], environment: share(80))
    #expect(runTight.refused("\(dir.file("e")): its weights need about 44 MiB of memory to run"), "\(runTight)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("y.npy")))
    let runFits = try CommandRunner.run(
      ["run", dir.file("e"), "--input", input, "--output", dir.file("y.npy")], environment: share(120))
    #expect(runFits.status == 0, "\(runFits.standardError)")
    let convertTight = try CommandRunner.run(
      [checkpoint, dir.file("never"), "--verify", "--quiet"], environment: share(120))
    #expect(
      convertTight.refused("\(checkpoint): verifying its export: its weights need about 65 MiB of memory to verify"),
      "\(convertTight)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("never")))
  }
}
