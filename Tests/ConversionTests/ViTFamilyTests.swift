import Checkpoint
import Conversion
import Formats
import Foundation
import Kernels
import Models
import Parity
import TestSupport
import Testing

/// Every released ViT and hybrid configuration, synthesised with its exact layout: convert,
/// run, verify. `make test` covers every configuration in the released naming up to 150 M
/// parameters and a few in the Linen naming; `make test-full` (MIXER_CONVERT_TEST_FULL=1)
/// covers every configuration in both namings.
@Suite(.serialized) struct ViTFamilyTests {
  struct Case: Sendable, CustomStringConvertible {
    let model: String
    let naming: BlockNaming
    var description: String { "\(model) (\(naming.rawValue))" }
  }

  static let full = ProcessInfo.processInfo.environment["MIXER_CONVERT_TEST_FULL"] != nil
  static let linenSubset: Set<String> = ["ViT-Ti_16", "ViT-S_32-gap-norep", "R+ViT-Ti_16", "R26+ViT-S_32"]

  static let cases: [Case] = ModelCatalog.entries.filter { $0.architecture.family != .mixer }.flatMap { entry in
    let small = entry.architecture.layout.parameterCount <= 150_000_000
    var cases: [Case] = []
    if full || small { cases.append(Case(model: entry.name, naming: .released)) }
    if full || linenSubset.contains(entry.name) { cases.append(Case(model: entry.name, naming: .linen)) }
    return cases
  }

  @Test(arguments: cases)
  func releasedConfigurationConvertsRunsAndVerifies(testCase: Case) throws {
    let entry = try #require(ModelCatalog.entry(named: testCase.model))
    let dir = TemporaryDirectory()
    var synthesis = SynthesisRequest(model: entry)
    synthesis.naming = testCase.naming
    _ = try Synthesizer.write(synthesis, to: dir.file("m.npz"))
    let summary = try Converter.convert(ConversionRequest(checkpoint: dir.file("m.npz"), output: dir.file("b")))
    #expect(summary.upstreamName == entry.name)
    #expect(summary.parameters == entry.architecture.layout.parameterCount)

    let bundle = try LoadedBundle(path: dir.file("b"))
    #expect(bundle.header.model.config["naming"] == .string(testCase.naming.rawValue))
    var state: UInt64 = 3
    let side = try #require(entry.architecture.imageSize)
    let image = (0..<(side * side * 3)).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
    }
    try NpyFile.write(image, shape: [1, side, side, 3], to: dir.file("image.npy"), replacing: false)
    let logits = try #require(
      try Runner.run(export: dir.file("b"), inputFile: dir.file("image.npy"), threads: nil).outputs["logits"])
    #expect(logits.shape == [1, ModelCatalog.defaultClasses])
    #expect(logits.scalars.allSatisfy(\.isFinite) && Set(logits.scalars).count > 1)

    var request = VerificationRequest(checkpoint: dir.file("m.npz"), export: dir.file("b"))
    request.batch = 1
    let report = try Verifier.verify(request)
    #expect(report.passed, "\(report.outputs.map { "\($0.name) \($0.relativeMaxDiff)" })")
    #expect(report.weights.exact == report.weights.tensors)
  }
}
