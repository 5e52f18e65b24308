import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Every committed seed (`Fuzz/Corpus/<target>`) and every input that once crashed a target
/// (`Fuzz/Regressions/<target>`, each named after what it found) runs through its fuzz target
/// without a crash, a trap or a sanitizer report (`make test-sanitize`).
@Suite struct CorpusReplayTests {
  static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz").path

  static let template = TemporaryDirectory()

  /// The targets, with the tiny bundle converted for the graph target.
  static func environment() throws -> FuzzEnvironment {
    let bundle = template.file("bundle")
    if !FileManager.default.fileExists(atPath: bundle + "/graph.json") {
      let result = try CommandRunner.run([Fixtures.path("mixer_tiny"), bundle, "--quiet"])
      #expect(result.status == 0, "\(result.standardError)")
    }
    return FuzzEnvironment(childExecutable: try CommandRunner.executable(), bundleTemplate: bundle)
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
