import Checkpoint
import Foundation
import TestSupport
import Testing

@testable import Models

@Suite struct RecognitionTests {
  private func recognize(_ tree: ParamTree) throws -> Recognition {
    try ModelRecognizer.recognize(tree).get()
  }

  /// The configuration of a released ViT; fails the test when `name` is not one.
  private func vitConfig(_ name: String) throws -> ViTConfig {
    let architecture = try #require(ModelCatalog.entry(named: name)).architecture
    guard case .vit(let config) = architecture else { throw NotAViT(description: "\(name) is \(architecture.family)") }
    return config
  }

  private struct NotAViT: Error, CustomStringConvertible { let description: String }

  @Test(arguments: Fixtures.cases)
  func fixturesAreRecognisedWithTheirConfig(name: String) throws {
    let config = try Fixtures.config(name)
    let file = try NpzFile(path: Fixtures.path(name))
    let recognition = try recognize(ParamTree(arrays: file.arrays))
    #expect(recognition.report.isExact, "\(recognition.report.lines)")
    let int = { (key: String) in (config[key] as? NSNumber)?.intValue }
    let classes = int("num_classes").flatMap { $0 > 0 ? $0 : nil }
    #expect(recognition.architecture.classes == classes)
    #expect(recognition.architecture.imageSize == (config["image_size"] as! [Int])[0])
    switch recognition.architecture {
    case .mixer(let c):
      #expect(config["model_kind"] as? String == "mixer")
      #expect(c.patchSize == (config["patch_size"] as! [Int])[0])
      #expect(c.hiddenDim == int("hidden_dim") && c.blocks == int("num_blocks"))
      #expect(c.tokensMLPDim == int("tokens_mlp_dim") && c.channelsMLPDim == int("channels_mlp_dim"))
      #expect(c.tokens == int("num_tokens"))
    case .vit(let c):
      #expect(["vit", "vit_hybrid"].contains(config["model_kind"] as? String))
      #expect(c.patchSize == (config["patch_size"] as! [Int])[0])
      #expect(c.hiddenSize == int("hidden_size") && c.layers == int("num_layers") && c.mlpDim == int("mlp_dim"))
      #expect(c.heads == int("num_heads") && c.headDim == int("head_dim"))
      #expect(c.classifier.rawValue == config["classifier"] as? String)
      #expect(c.representationSize == int("representation_size"))
      #expect(c.tokens == int("seq_len"))
      #expect(c.naming == .released)
      if let resnet = config["resnet"] as? [String: Any] {
        #expect(c.resnet?.stageUnits == resnet["num_layers"] as? [Int])
        #expect(c.resnet?.rootWidth == (resnet["root_width"] as? NSNumber)?.intValue)
        #expect(c.resnet?.totalStride == (resnet["total_stride"] as? NSNumber)?.intValue)
      } else {
        #expect(c.resnet == nil)
      }
    }
  }

  @Test(arguments: ModelCatalog.entries.map(\.name))
  func everyCatalogLayoutIsRecognisedAsItself(name: String) throws {
    let entry = try #require(ModelCatalog.entry(named: name))
    for naming in BlockNaming.allCases {
      var architecture = entry.architecture
      if case .vit(var config) = architecture {
        config.naming = naming
        architecture = .vit(config)
      }
      let recognition = try recognize(tree(architecture.layout))
      #expect(recognition.catalogEntry?.name == name)
      #expect(recognition.architecture == architecture)
      #expect(recognition.report.isExact)
      #expect(recognition.displayName == entry.displayName)
    }
  }

  @Test func summaryLineReadsLikeTheIssueExample() throws {
    let entry = try #require(ModelCatalog.entry(named: "Mixer-B_16"))
    let recognition = try recognize(tree(entry.architecture.layout))
    #expect(
      recognition.summary(parameterCount: 59_880_472)
        == "Mixer-B/16 · 59,880,472 params · 1000 classes · classification head")
    let headless = try recognize(tree(entry.architecture.withClasses(nil).layout))
    #expect(
      headless.summary(parameterCount: 59_111_472) == "Mixer-B/16 · 59,111,472 params · no head (feature extractor)")
  }

  @Test func resolutionAndRepresentationAreReported() throws {
    var config = try vitConfig("ViT-B_16")
    config.tokens = 24 * 24 + 1
    config.representationSize = 768
    config.classes = 21843
    let recognition = try recognize(tree(ModelArchitecture.vit(config).layout))
    #expect(recognition.displayName == "ViT-B/16 (384 px)")
    #expect(
      recognition.summary(parameterCount: 1).hasSuffix(
        "21843 classes · classification head · representation layer (768)"))
  }

  @Test func groupNormMayBeStoredWithUnitAxes() throws {
    let entry = try #require(ModelCatalog.entry(named: "R50+ViT-B_16"))
    let shapes = entry.architecture.layout.map { spec in
      (spec.path, spec.path.contains("/gn") || spec.path.hasPrefix("gn_") ? [1, 1, 1, spec.shape[0]] : spec.shape)
    }
    let recognition = try recognize(tree(shapes))
    #expect(recognition.report.isExact)
    #expect(recognition.catalogEntry?.name == "R50+ViT-B_16")
  }

  @Test func missingUnusedAndMisshapenTensorsAreListed() throws {
    let layout = try #require(ModelCatalog.entry(named: "Mixer-S_32")).architecture.layout
    var shapes = layout.map { ($0.path, $0.shape) }
    shapes.removeAll { $0.0 == "MixerBlock_3/LayerNorm_1/scale" }
    shapes = shapes.map { $0.0 == "head/kernel" ? ($0.0, [1000, 512]) : $0 }
    shapes.append(("opt/state/momentum", [3]))
    let report = try recognize(tree(shapes)).report
    #expect(report.missing == ["MixerBlock_3/LayerNorm_1/scale"])
    #expect(report.shapeMismatches == [.init(path: "head/kernel", expected: [512, 1000], actual: [1000, 512])])
    #expect(report.unused == ["opt/state/momentum"])
    #expect(!report.isUsable)
  }

  @Test func inconsistentViTsAreReported() throws {
    var config = try vitConfig("ViT-Ti_16")
    config.tokens = 150
    var report = try recognize(tree(ModelArchitecture.vit(config).layout)).report
    #expect(report.architectureProblems.first?.contains("149 patch tokens") == true)
    // Heads that do not divide the width: query kernels (192, 5, 38).
    config.tokens = 197
    let shapes = ModelArchitecture.vit(config).layout.map { spec -> (String, [Int]) in
      spec.path.hasSuffix("query/kernel") ? (spec.path, [192, 5, 38]) : (spec.path, spec.shape)
    }
    report = try recognize(tree(shapes)).report
    #expect(report.architectureProblems.first?.contains("5 heads") == true)
    #expect(!report.isUsable)
  }

  @Test func aHybridWithAMissingUnitIsReported() throws {
    let layout = try #require(ModelCatalog.entry(named: "R50+ViT-B_16")).architecture.layout
    let shapes = layout.filter { !$0.path.hasPrefix("block2/unit2/") }.map { ($0.path, $0.shape) }
    let report = try recognize(tree(shapes)).report
    #expect(report.missing.count == 9)  // three kernels, three GroupNorm scale/bias pairs
    #expect(report.missing.allSatisfy { $0.hasPrefix("block2/unit2/") })
  }

  @Test func unrecognisedTreesSayWhy() {
    func reason(_ shapes: [(String, [Int])]) -> String? {
      if case .failure(let error) = ModelRecognizer.recognize(tree(shapes)) { return error.reason }
      return nil
    }
    #expect(reason([("foo/bar", [3])]) == "no 'stem/kernel' (MLP-Mixer) or 'embedding/kernel' (ViT) tensor")
    #expect(reason([("stem/kernel", [16, 16, 3])]) == "'stem/kernel' has shape (16, 16, 3), expected (P, P, 3, D)")
    #expect(reason([]) == "the checkpoint holds no tensors")
  }
}
