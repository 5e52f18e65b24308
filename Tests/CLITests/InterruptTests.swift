import Formats
import Foundation
import TestSupport
import Testing

/// Real signals at random moments of a multi-shard conversion (issue 13, findings 1 and 3):
/// the process exits with 128 + signal (or 0 when it had finished, or dies of the signal when
/// it came before anything was written), the old output is intact or the new one complete, and
/// no temporary is left.
@Suite struct InterruptTests {
  @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
  func signalsNeverLeaveHalfAnOutput(signal: Int32) throws {
    let dir = TemporaryDirectory()
    let out = dir.file("out")
    #expect(try CommandRunner.run([Checkpoints.vitTiny, out, "--quiet", "--variant", "features"]).status == 0)
    var interrupted = 0
    for delay in stride(from: 0.02, through: 0.5, by: 0.06) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: try CommandRunner.executable())
      process.arguments = [Checkpoints.vitTiny, out, "--force", "--quiet", "--shard-size", "1MB"]
      process.standardError = FileHandle.nullDevice
      try process.run()
      Thread.sleep(forTimeInterval: delay)
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
      let status = process.terminationStatus
      let diedEarly = process.terminationReason == .uncaughtSignal && status == signal
      #expect(status == 0 || status == 128 + signal || diedEarly, "after \(delay) s: exit \(status)")
      if status == 128 + signal { interrupted += 1 }
      let variant = (try? Exports.open(out))?.header.model.variant
      #expect(
        variant == "features" || variant == "classification", "after \(delay) s: \(variant ?? "no complete output")")
      #expect(dir.contents() == ["out"], "after \(delay) s: \(dir.contents())")
    }
    #expect(interrupted > 0, "no run was interrupted")
  }

  /// A conversion convert-all started ends with it, even when convert-all is killed with
  /// SIGKILL (a scheduler's last word): it removes its temporaries and commits nothing once its
  /// batch is gone.
  @Test func batchConversionsEndWithTheirParent() throws {
    let dir = TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("in"), withIntermediateDirectories: false)
    try FileManager.default.copyItem(atPath: Checkpoints.vitTiny, toPath: dir.file("in/a.npz"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try CommandRunner.executable())
    process.arguments = [
      "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--jobs", "1", "--verify", "--threads", "1",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var child: Int32?
    let deadline = Date().addingTimeInterval(30)
    while child == nil, Date() < deadline {
      child = Self.children(of: process.processIdentifier).first
      if child == nil { Thread.sleep(forTimeInterval: 0.002) }
    }
    let conversion = try #require(child, "convert-all started no conversion")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    // Long enough for the conversion to have finished had it gone on (it takes under a second).
    let killed = Date()
    while Self.isAlive(conversion), Date().timeIntervalSince(killed) < 10 { Thread.sleep(forTimeInterval: 0.01) }
    #expect(!Self.isAlive(conversion), "the conversion outlived its batch by 10 s")
    Thread.sleep(forTimeInterval: 2)
    // The batch itself marked the output as awaiting verification before starting the
    // conversion; the mark stays (the next run that verifies the output clears it), nothing
    // else may.
    let written = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("out"))) ?? []
    #expect(written.filter { $0 != ".a.unverified" }.isEmpty, "the orphaned conversion wrote \(written)")
  }

  /// A signal while `convert --verify` verifies its staged export (before the commit) stops the
  /// verification at its next weight or step: the command ends with 128 + signal long before
  /// the verification would have ended, writes nothing, and leaves the export `--force` would
  /// replace as it was.
  @Test func aSignalStopsTheVerificationBeforeTheCommit() throws {
    let dir = TemporaryDirectory()
    let out = dir.file("out")
    #expect(try CommandRunner.run([Checkpoints.vitTiny, out, "--quiet"]).status == 0)
    let graph = try Data(contentsOf: URL(fileURLWithPath: out + "/graph.json"))
    let options = ["--batch", "16", "--threads", "1", "--quiet"]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try CommandRunner.executable())
    process.arguments = [Checkpoints.vitTiny, out, "--force", "--verify", "--variant", "features"] + options
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Verifying once it maps the staged export's shard (the writer writes it, the verifier maps it).
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning, Date() < deadline, !Self.maps(process.processIdentifier, containing: "/.out.tmp-") {
      Thread.sleep(forTimeInterval: 0.001)
    }
    #expect(process.isRunning, "the conversion ended before it verified")
    Thread.sleep(forTimeInterval: 0.1)
    let signalled = Date()
    kill(process.processIdentifier, SIGINT)
    process.waitUntilExit()
    let stopping = Date().timeIntervalSince(signalled)
    // What the whole verification takes, measured here, with the same options.
    let began = Date()
    #expect(try CommandRunner.run(["verify", Checkpoints.vitTiny, out] + options).status == 0)
    let verifying = Date().timeIntervalSince(began)
    #expect(process.terminationStatus == 128 + SIGINT)
    #expect(stopping < verifying / 3, "stopped in \(stopping) s; the verification takes \(verifying) s")
    #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/graph.json")) == graph)
    #expect(dir.contents() == ["out"], "\(dir.contents())")
  }

  /// Whether process `pid` has a file mapped whose path contains `text`.
  private static func maps(_ pid: Int32, containing text: String) -> Bool {
    (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8))?.contains(text) ?? false
  }

  /// The processes whose parent is `parent` (from /proc).
  private static func children(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.range(of: ")", options: .backwards)
      else { return false }
      let fields = stat[end.upperBound...].split(separator: " ")
      return fields.count > 1 && Int32(fields[1]) == parent
    }
  }

  /// Whether `pid` runs (a zombie waiting to be reaped does not).
  private static func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let end = stat.range(of: ")", options: .backwards)
    else { return false }
    return stat[end.upperBound...].split(separator: " ").first != "Z"
  }
}
