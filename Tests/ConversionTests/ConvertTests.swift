import Checkpoint
import Conversion
import FileIO
import Foundation
import Graph
import Kernels
import Models
import TestSupport
import Testing

@testable import Formats

@Suite struct ConvertTests {
  @Test(arguments: Fixtures.cases)
  func bundleWeightsAreBitIdenticalAndOutputsMatchFlax(fixture: String) throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path(fixture), into: dir)
    let bundle = try LoadedBundle(path: path)
    let npz = try NpzFile(path: Fixtures.path(fixture))
    for (name, entry) in bundle.header.weights.tensors {
      let source = try #require(npz.array(entry.source))
      #expect(Array(bundle.storedBytes(of: name)!) == (try npz.readData(source)), "\(name)")
    }
    #expect(bundle.header.weights.tensors.count == npz.arrays.count)
    let outputs = try run(path, on: fixture)
    if fixture == "mixer_tiny_fe" {
      #expect(maxDifference(outputs["features"]!, try golden(fixture, "features.npy")) <= 1e-5)
      #expect(bundle.header.model.variant == "features")
    } else {
      #expect(maxDifference(outputs["logits"]!, try golden(fixture, "logits.npy")) <= 1e-5)
      #expect(maxDifference(outputs["pre_logits"]!, try golden(fixture, "pre_logits.npy")) <= 1e-5)
    }
    #expect(bundle.header.model.source.sha256 == (try SHA256Stream.file(Fixtures.path(fixture))))
  }

  @Test func featuresVariantDropsTheHeadAndOutputsThePreLogits() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir) { $0.variant = .features }
    let bundle = try LoadedBundle(path: path)
    #expect(bundle.header.weights.tensors["head.kernel"] == nil)
    #expect(bundle.header.outputs.map(\.name) == ["features"])
    let outputs = try run(path, on: "mixer_tiny")
    #expect(maxDifference(outputs["features"]!, try golden("mixer_tiny", "pre_logits.npy")) <= 1e-5)
  }

  @Test func headlessCheckpointsOnlyExportFeatures() throws {
    let dir = TemporaryDirectory()
    #expect { try convert(Fixtures.path("mixer_tiny_fe"), into: dir) { $0.variant = .classification } } throws: {
      ($0 as? ConversionError)?.reason.contains("no head") == true
    }
    #expect(dir.contents().isEmpty)
  }

  @Test func conversionIsDeterministic() throws {
    let dir = TemporaryDirectory()
    let a = try convert(Fixtures.path("mixer_tiny"), into: dir, name: "a")
    let b = try convert(Fixtures.path("mixer_tiny"), into: dir, name: "b")
    #expect(try contents(of: a) == contents(of: b))
  }

  @Test func smallShardSizeSplitsTheWeights() throws {
    let dir = TemporaryDirectory()
    let limit = 40_000
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir) { $0.options.shardSize = limit }
    let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".safetensors") }
      .sorted()
    #expect(files.count > 2)
    #expect(files == (1...files.count).map { BundleLayout.shardName($0, of: files.count) })
    let bundle = try LoadedBundle(path: path)
    #expect(bundle.locations.shards.map(\.file) == files)
    for file in files {
      let tensors = bundle.header.weights.tensors.filter { bundle.locations.byTensor[$0.key] == file }.values
      let bytes = tensors.reduce(0) { $0 + 4 * $1.shape.reduce(1, *) }
      #expect(tensors.count == 1 || bytes <= limit, "\(file) holds \(bytes) bytes in \(tensors.count) tensors")
    }
    // Tensor order is graph order, so the stem comes first and the head last.
    #expect(bundle.locations.byTensor["stem.kernel"] == files.first)
    #expect(bundle.locations.byTensor["head.bias"] == files.last)
    #expect(maxDifference(try run(path, on: "mixer_tiny")["logits"]!, try golden("mixer_tiny", "logits.npy")) <= 1e-5)
  }

  @Test func existingOutputNeedsReplacingAndFailuresLeaveNothing() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("mixer_tiny"), into: dir)
    let before = try contents(of: path)
    #expect(throws: (any Error).self) { try convert(Fixtures.path("mixer_tiny_fe"), into: dir) }
    // A checkpoint whose last member's data is corrupt fails after shards were written.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("mixer_tiny"))))
    let npz = try NpzFile(path: Fixtures.path("mixer_tiny"))
    let stem = try #require(npz.array("stem/kernel"))
    let marker = try npz.readData(stem)
    let offset = try #require(bytes.firstRange(of: marker[0..<64])).lowerBound
    bytes[offset + 100] ^= 0x55
    let broken = dir.write("broken.npz", bytes)
    #expect { try convert(broken, into: dir) { $0.replacing = true } } throws: {
      "\($0)".contains("CRC-32 mismatch")
    }
    #expect(try contents(of: path) == before, "the existing bundle must be untouched")
    #expect(dir.contents() == ["broken.npz", "bundle"], "no temporary folder may be left behind")
    try convert(Fixtures.path("mixer_tiny_fe"), into: dir) { $0.replacing = true }
    #expect(try LoadedBundle(path: path).header.model.variant == "features")
    #expect(dir.contents() == ["broken.npz", "bundle"])
  }

  @Test func unusedTensorsAreRefusedUnlessAllowed() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("extra.npz")
    try CheckpointRewriter.rewrite(
      Fixtures.path("mixer_tiny"), to: path,
      extra: [("MixerBlock_0/extra/scale", .init(shape: [3], values: [1, 2, 3]))])
    #expect { try convert(path, into: dir) } throws: {
      "\($0)".contains("unused: MixerBlock_0/extra/scale") && ($0 as? ConversionError)?.remedy == .allowUnusedTensors
    }
    let bundle = try convert(path, into: dir) { $0.allowUnused = true }
    #expect(maxDifference(try run(bundle, on: "mixer_tiny")["logits"]!, try golden("mixer_tiny", "logits.npy")) <= 1e-5)
    // inspect counts the model's parameters without the unused tensor, the file's with it.
    let report = try Inspector.inspect(path: path)
    let model = try LoadedBundle(path: bundle).header.model.parameters
    #expect(report.parameters == model + 3)
    #expect(report.model.summary?.contains(" · \(groupedDigits(model)) params · ") == true, "\(report.model.summary!)")
  }

  @Test(arguments: ["params/", "opt/target/"])
  func prefixedCheckpointsConvertAndRecordThePrefix(prefix: String) throws {
    let dir = TemporaryDirectory()
    let path = dir.file("prefixed.npz")
    try CheckpointRewriter.rewrite(Fixtures.path("mixer_tiny"), to: path, rename: { prefix + $0 })
    let bundle = try LoadedBundle(path: try convert(path, into: dir))
    #expect(bundle.header.model.source.keyPrefix == prefix)
    #expect(bundle.header.weights.tensors["stem.kernel"]?.source == "stem/kernel")
  }

  @Test func missingTensorsAreRefusedWithTheirNames() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("partial.npz")
    try CheckpointRewriter.rewrite(Fixtures.path("mixer_tiny"), to: path) {
      $0 == "MixerBlock_1/LayerNorm_1/scale" ? nil : $0
    }
    #expect { try convert(path, into: dir) } throws: {
      "\($0)".contains("missing: MixerBlock_1/LayerNorm_1/scale")
    }
    #expect(dir.contents() == ["partial.npz"])
  }
}
