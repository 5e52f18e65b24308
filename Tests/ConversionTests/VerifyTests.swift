import Checkpoint
import Conversion
import Formats
import Foundation
import Kernels
import Models
import Parity
import TestSupport
import Testing

@Suite struct VerifyTests {
  @Test(arguments: Fixtures.cases)
  func fixtureBundlesVerify(fixture: String) throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path(fixture), into: dir)
    let report = try Verifier.verify(VerificationRequest(checkpoint: Fixtures.path(fixture), export: path))
    #expect(report.passed)
    #expect(report.sourceMatches)
    #expect(report.weights.exact == report.weights.tensors && report.weights.maxAbsDiff == 0)
    for output in report.outputs {
      // A few float32 ulps of the largest output, far inside verify's own tolerance; relative,
      // because how the products group their sums (the kernels' cache blocking) moves the last
      // bits in proportion to the outputs' scale.
      #expect(output.relativeMaxDiff <= 1e-6, "\(output.name): \(output.maxAbsDiff) of \(output.maxAbsReference)")
      #expect(output.cosineSimilarity > 0.999_999)
      if output.name == "logits" { #expect(output.top1Agreement == 1 && output.top5Overlap == 1) }
    }
  }

  @Test func fixtureInputsCanBeGiven() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    var request = VerificationRequest(checkpoint: Fixtures.path("mixer_tiny"), export: path)
    request.input = Fixtures.path("mixer_tiny", "input.npy")
    let report = try Verifier.verify(request)
    #expect(report.batch == 2 && report.passed && report.inputOutsideRange == nil)
    request.input = Fixtures.path("mixer_tiny", "logits.npy")
    #expect { try Verifier.verify(request) } throws: { "\($0)".contains("the export takes [batch, 64, 64, 3]") }
  }

  /// Pixels given as 0…255 where the export takes [-1, 1] still verify (both models see the
  /// same numbers), and the report carries their span for the warning.
  @Test func anInputOutsideTheContractIsReported() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    let pixels = (0..<(64 * 64 * 3)).map { Float($0 % 256) }
    try NpyFile.write(pixels, shape: [1, 64, 64, 3], to: dir.file("pixels.npy"), replacing: false)
    var request = VerificationRequest(checkpoint: Fixtures.path("mixer_tiny"), export: path)
    request.input = dir.file("pixels.npy")
    let outside = try #require(try Verifier.verify(request).inputOutsideRange)
    #expect(outside.smallest == 0 && outside.largest == 255 && outside.range == [-1, 1])
    #expect(
      outside.sentence == "values span 0.0…255.0, outside the input contract's [-1, 1]: was the image normalised?")
  }

  /// An export of another model family, or one without a layer the checkpoint's model has,
  /// is refused in one line naming both, not reported as drift.
  @Test func anExportOfAnotherModelIsRefused() throws {
    let dir = TemporaryDirectory()
    let vit = try convert(Fixtures.path("vit_tiny_token"), into: dir)
    let request = VerificationRequest(checkpoint: Fixtures.path("mixer_tiny"), export: vit)
    #expect { try Verifier.verify(request) } throws: {
      "\($0)" == "\(vit): holds a custom ViT, but \(Fixtures.path("mixer_tiny")) holds a custom Mixer: "
        + "verify compares an export with the checkpoint it was converted from"
    }
    let hybrid = VerificationRequest(checkpoint: Fixtures.path("r50_vit_tiny"), export: vit)
    #expect { try Verifier.verify(hybrid) } throws: { "\($0)".hasPrefix("\(vit): holds a custom ViT, but ") }
    // The same model at another resolution: its position embedding is not the one converted.
    let resized = try convert(Fixtures.path("vit_tiny_token"), into: dir, name: "96.npz") { $0.imageSize = 96 }
    #expect { try Verifier.verify(VerificationRequest(checkpoint: resized, export: vit)) } throws: {
      "\($0)".contains(
        "was converted from a [1, 17, 32] 'Transformer/posembed_input/pos_embedding', but that of \(resized) is "
          + "[1, 37, 32]")
    }
    // vit_tiny_repr's head takes its 24-wide representation, not the 32 tokens' width.
    let repr = VerificationRequest(checkpoint: Fixtures.path("vit_tiny_repr"), export: vit)
    #expect { try Verifier.verify(repr) } throws: {
      "\($0)".hasPrefix("\(vit): weight 'head.kernel' was converted from a [32, 10] 'head/kernel', but that of ")
    }
    // A representation layer as wide as the tokens: no weight of the token export.
    try CheckpointRewriter.rewrite(
      Fixtures.path("vit_tiny_token"), to: dir.file("wide.npz"),
      extra: [("pre_logits/kernel", .init(shape: [32, 32])), ("pre_logits/bias", .init(shape: [32]))])
    #expect { try Verifier.verify(VerificationRequest(checkpoint: dir.file("wide.npz"), export: vit)) } throws: {
      "\($0)".hasPrefix("\(vit): holds no weight from 'pre_logits/")
    }
  }

  /// An input of the wrong shape, or with no image, is the input file's fault: the error
  /// names it, for run as for verify.
  @Test func inputsOfTheWrongShapeNameTheInput() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    let input = dir.file("input.npy")
    let cases: [([Int], String)] = [
      ([1, 48, 48, 3], "\(input): input has shape [1, 48, 48, 3]; the export takes [batch, 64, 64, 3]"),
      ([0, 64, 64, 3], "\(input): input holds no image (its batch is 0)"),
    ]
    for (shape, message) in cases {
      try NpyFile.write([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape, to: input, replacing: true)
      #expect { try Runner.run(export: path, inputFile: input, threads: 1) } throws: { "\($0)" == message }
    }
  }

  @Test func aDifferentCheckpointOfTheSameShapeDrifts() throws {
    let dir = TemporaryDirectory()
    var first = SynthesisRequest(model: ModelCatalog.entry(named: "Mixer-S_32")!)
    first.classes = 10
    _ = try Synthesizer.write(first, to: dir.file("a.npz"))
    first.seed = 1
    _ = try Synthesizer.write(first, to: dir.file("b.npz"))
    let bundle = try convert(dir.file("a.npz"), into: dir)
    var request = VerificationRequest(checkpoint: dir.file("b.npz"), export: bundle)
    request.batch = 1
    let report = try Verifier.verify(request)
    #expect(!report.passed)
    #expect(!report.sourceMatches)
    #expect(report.weights.exact == 0)
    #expect(report.outputs.allSatisfy { !$0.passed })
  }

  /// A weight whose recorded source the checkpoint lacks is refused in one line, naming both,
  /// before any of the export is compiled.
  @Test func aWeightFromATensorTheCheckpointLacksIsRefused() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    let graph = path + "/graph.json"
    let text = try String(contentsOfFile: graph, encoding: .utf8)
    let renamed = text.replacingOccurrences(of: "\"head/kernel\"", with: "\"head/missing\"")
    #expect(renamed != text)
    try renamed.write(toFile: graph, atomically: true, encoding: .utf8)
    let request = VerificationRequest(checkpoint: Fixtures.path("mixer_tiny"), export: path)
    #expect { try Verifier.verify(request) } throws: {
      "\($0)".contains("comes from 'head/missing', which \(Fixtures.path("mixer_tiny")) does not have")
    }
  }

  /// Every MLP-Mixer size, synthesised with its released layout: convert, read back, verify.
  @Test func everyReleasedMixerConvertsAndVerifies() throws {
    for entry in ModelCatalog.entries where entry.architecture.family == .mixer {
      let dir = TemporaryDirectory()
      _ = try Synthesizer.write(SynthesisRequest(model: entry), to: dir.file("m.npz"))
      let summary = try Converter.convert(ConversionRequest(checkpoint: dir.file("m.npz"), output: dir.file("b")))
      #expect(summary.parameters == entry.architecture.layout.parameterCount, "\(entry.name)")
      #expect(summary.upstreamName == entry.name)
      var request = VerificationRequest(checkpoint: dir.file("m.npz"), export: dir.file("b"))
      request.batch = 1
      let report = try Verifier.verify(request)
      #expect(report.passed, "\(entry.name): \(report.outputs.map { "\($0.name) \($0.maxAbsDiff)" })")
      #expect(report.weights.exact == report.weights.tensors)
    }
  }

  /// A narrower export is held to the float32 tolerance against the original computed with its
  /// rounded weights, and the cost of the rounding is reported beside.
  @Test(arguments: [DType.float16, .bfloat16])
  func reducedPrecisionExportsVerifyAndReportTheirCost(dtype: DType) throws {
    let dir = TemporaryDirectory()
    _ = try Synthesizer.write(SynthesisRequest(model: ModelCatalog.entry(named: "Mixer-B_32")!), to: dir.file("m.npz"))
    let path = try convert(dir.file("m.npz"), into: dir) { $0.dtype = dtype }
    let bundle = try LoadedBundle(path: path)
    #expect(bundle.header.weights.dtype == dtype.rawValue)
    let size =
      (try FileManager.default.attributesOfItem(atPath: path + "/model-00001-of-00001.safetensors")[.size] as! Int)
    #expect(size < 2 * bundle.header.model.parameters + 100_000)
    var request = VerificationRequest(checkpoint: dir.file("m.npz"), export: path)
    request.batch = 4
    let report = try Verifier.verify(request)
    #expect(report.passed, "\(report.outputs.map { "\($0.name) \($0.relativeMaxDiff)" })")
    #expect(report.tolerance == Verifier.defaultTolerance)
    #expect(report.weights.exact == report.weights.tensors, "every value must be the nearest \(dtype)")
    #expect(report.weights.maxAbsDiff > 0)
    for output in report.outputs {
      // The rounding moves the outputs far more than the tolerance allows between the paths:
      // the reference must be using the rounded weights, or this export would fail.
      let effect = try #require(output.dtypeEffect)
      #expect(effect > 10 * Verifier.defaultTolerance.rtol, "\(output.name): \(effect)")
      #expect(output.relativeMaxDiff < Verifier.defaultTolerance.rtol)
    }
  }

  @Test func float32ExportsReportNoDtypeEffect() throws {
    let dir = TemporaryDirectory()
    let report = try Verifier.verify(
      VerificationRequest(
        checkpoint: Fixtures.path("vit_tiny_repr"),
        export: try convert(Fixtures.path("vit_tiny_repr"), into: dir)))
    #expect(report.passed && report.outputs.allSatisfy { $0.dtypeEffect == nil })
  }

  @Test func reducedPrecisionSourcesWidenLosslessly() throws {
    let dir = TemporaryDirectory()
    var synth = SynthesisRequest(model: ModelCatalog.entry(named: "Mixer-S_32")!)
    synth.dtype = .bfloat16
    _ = try Synthesizer.write(synth, to: dir.file("m.npz"))
    let path = try convert(dir.file("m.npz"), into: dir)
    var request = VerificationRequest(checkpoint: dir.file("m.npz"), export: path)
    request.batch = 1
    let report = try Verifier.verify(request)
    #expect(report.passed && report.weights.maxAbsDiff == 0)
    #expect(try LoadedBundle(path: path).header.weights.tensors["stem.kernel"]?.sourceDtype == "bfloat16")
  }
}
