import Foundation
import FuzzTargets
import TestSupport
import Testing

/// Every committed seed (`Fuzz/Corpus/<target>`) and every input that once crashed a target
/// (`Fuzz/Regressions/<target>`, each named after what it found) runs through its fuzz target
/// without a crash, a trap or a sanitizer report (`make test-sanitize`).
@Suite struct CorpusReplayTests {
  static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz").path

  static let template = TemporaryDirectory()

  /// The tiny bundle the graph target copies, converted once for every test case (they run
  /// in parallel: each converting it would race for the same folder).
  static let bundle: Result<String, Error> = Result {
    let bundle = template.file("bundle")
    let result = try CommandRunner.run([Fixtures.path("mixer_tiny"), bundle, "--quiet"])
    guard result.status == 0 else { throw CommandFailed(message: result.standardError) }
    return bundle
  }

  struct CommandFailed: Error { let message: String }

  /// The targets' environment.
  static func environment() throws -> FuzzEnvironment {
    FuzzEnvironment(childExecutable: try CommandRunner.executable(), bundleTemplate: try bundle.get())
  }

  static let names = FuzzTargets.all(FuzzEnvironment(childExecutable: "", bundleTemplate: "")).map(\.name)

  @Test(arguments: names)
  func seedsAndRegressionsRunCleanly(name: String) throws {
    let target = try #require(FuzzTargets.all(try Self.environment()).first { $0.name == name })
    var inputs = 0
    for folder in ["Corpus", "Regressions"] {
      let path = Self.fuzz + "/" + folder + "/" + name
      for file in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/" + file))
        data.withUnsafeBytes { target.run($0) }
        inputs += 1
      }
    }
    #expect(inputs > 0, "no seeds for \(name) in Fuzz/Corpus/\(name)")
  }
}
