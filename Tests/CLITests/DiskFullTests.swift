import Formats
import Foundation
import TestSupport
import Testing

/// A conversion onto a full disk (an 8 MB tmpfs): one error line, status 2, no crash (issue 13,
/// finding 6: libhdf5 used to segfault at exit), no temporary left, an existing output intact.
@Suite(.serialized) struct DiskFullTests {
  /// Runs `mount`/`umount` with `arguments`; whether it succeeded.
  @discardableResult
  static func mount(_ tool: String, _ arguments: [String]) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }

  /// Whether this process may mount a tmpfs (root with the capability to mount).
  static let canMount: Bool = {
    guard geteuid() == 0 else { return false }
    let probe = TemporaryDirectory()
    guard mount("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path]) else { return false }
    return mount("/bin/umount", [probe.path])
  }()

  @Test(
    .enabled(if: canMount, "skipped: mounting a small tmpfs needs root (and the capability to mount)"),
    arguments: ["bundle", "model.h5"])
  func aFullDiskFailsInOneLineAndKeepsTheOldOutput(name: String) throws {
    let dir = TemporaryDirectory()
    let small = dir.file("small")
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: false)
    #expect(Self.mount("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", small]))
    defer { Self.mount("/bin/umount", [small]) }
    let out = small + "/" + name
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), out, "--quiet", "--variant", "features"]).status == 0)
    for (target, force) in [(out, true), (small + "/new-" + name, false)] {
      let result = try CommandRunner.run([Checkpoints.vitTiny, target, "--quiet"] + (force ? ["--force"] : []))
      #expect(
        result.refused("No space left on device") || result.refused("disk full"), "\(target): \(result.standardError)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: small) == [name], "\(target)")
    }
    #expect((try? Exports.open(out))?.header.model.variant == "features")
  }
}
