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
}
