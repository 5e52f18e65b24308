import Checkpoint
import Conversion
import Foundation
import Graph
import Kernels
import TestSupport
import Testing

@testable import Formats

/// The timm and transformers folders as mixer-convert writes and reads them back: the layouts
/// hold the canonical weights (fused, transposed) and give them back bit for bit, the models
/// they cannot hold are refused with nothing written, and a changed weights file is refused.
/// (timm and transformers themselves judge the same folders in Tests/python.)
@Suite struct LibraryFolderTests {
  @Test(arguments: [ExportFormat.timm, .transformers])
  func folderGivesBackTheBundlesWeightsAndComputesTheFlaxOutputs(format: ExportFormat) throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let bundle = try LoadedBundle(path: try convert(source, into: dir, name: "b"))
    let path = try convert(source, into: dir, name: "folder") { $0.format = format }
    #expect(try Exports.format(of: path) == format)
    let export = try LoadedLibraryFolder(path: path, library: format)
    // The same header but for the format's own options (a folder has no shard size).
    #expect(
      export.header.model == bundle.header.model && export.header.input == bundle.header.input
        && export.header.outputs == bundle.header.outputs && export.header.weights == bundle.header.weights)
    #expect(export.header.formatOptions == ExportOptions().resolved(for: format))
    for name in bundle.header.weights.tensors.keys {
      #expect(Array(export.storedBytes(of: name)!) == Array(bundle.storedBytes(of: name)!), "\(name)")
    }
    let outputs = try run(path, on: "vit_tiny_token")
    for output in bundle.header.outputs {
      #expect(maxDifference(outputs[output.name]!, try golden("vit_tiny_token", output.name + ".npy")) <= 1e-5)
    }
    #expect(Set(dir.contents()) == ["b", "folder"])
    #expect(
      Set(try FileManager.default.contentsOfDirectory(atPath: path)).isSuperset(
        of: ["config.json", "model.safetensors", "mixer-convert.json", "README.md"]))
  }

  @Test func timmStacksQueryKeyAndValueAsTransposedRows() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let bundle = try LoadedBundle(path: try convert(source, into: dir, name: "b"))
    let path = try convert(source, into: dir, name: "t") { $0.format = .timm }
    let weights = try SafetensorsFile(path: path + "/model.safetensors")
    #expect(weights.metadata == ["format": "pt"])
    #expect(weights.entries["blocks.1.attn.qkv.weight"]?.shape == [96, 32])
    let qkv = ElementConversion.floats(weights.bytes(of: "blocks.1.attn.qkv.weight")!, type: .float32, order: .little)
    for (block, projection) in ["query", "key", "value"].enumerated() {
      // (D, h, d) = (32, 4, 8): input c, head h, width w is output row h·8 + w of its block.
      let kernel = bundle.tensor("blocks.1.attention.\(projection)_kernel")!
      for (c, h, w) in [(0, 0, 0), (5, 1, 3), (31, 3, 7), (17, 2, 6)] {
        let row: Int = block * 32 + h * 8 + w
        let element: Int = (c * 4 + h) * 8 + w
        #expect(qkv[row * 32 + c] == kernel.scalars[element], "\(projection) \(c) \(h) \(w)")
      }
    }
    let patch = ElementConversion.floats(weights.bytes(of: "patch_embed.proj.weight")!, type: .float32, order: .little)
    let embedding = bundle.tensor("embedding.kernel")!  // (16, 16, 3, 32) HWIO → (32, 3, 16, 16) OIHW
    // Output channel 7, input channel 2, row 5, column 9.
    let oihw: Int = ((7 * 3 + 2) * 16 + 5) * 16 + 9
    let hwio: Int = ((5 * 16 + 9) * 3 + 2) * 32 + 7
    #expect(patch[oihw] == embedding.scalars[hwio])
  }

  @Test(arguments: [
    ("mixer_tiny", ExportFormat.timm, "registered sizes"),
    ("vit_tiny_repr", .timm, "representation (pre_logits) layer"),
    ("r50_vit_tiny", .timm, "ResNet stem"), ("mixer_tiny_fe", .transformers, "no MLP-Mixer model"),
    ("vit_tiny_gap", .transformers, "averages its tokens"), ("r50_vit_tiny", .transformers, "no hybrid ViT"),
    ("vit_tiny_repr", .transformers, "representation (pre_logits) layer"),
  ])
  func modelsALibraryCannotHoldAreRefusedWithNothingWritten(
    fixture: String, format: ExportFormat, reason: String
  ) throws {
    let dir = TemporaryDirectory()
    do {
      try convert(Fixtures.path(fixture), into: dir, name: "out") { $0.format = format }
      Issue.record("\(fixture) was written as \(format)")
    } catch let error as ExportFileError {
      #expect(
        error.reason.hasPrefix("\(format.rawValue) cannot hold this model: ") && error.reason.contains(reason)
          && error.reason.hasSuffix(" can"), "\(error)")
      #expect(error.reason.contains("bundle, hdf5, onnx") && error.reason.contains("npz"), "\(error)")
    }
    #expect(dir.contents().isEmpty)
  }

  @Test func aFeaturesExportKeepsTheRepresentationLayerAsTransformersPooler() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("vit_tiny_repr"), into: dir, name: "f") {
      $0.format = .transformers
      $0.variant = .features
    }
    let weights = try SafetensorsFile(path: path + "/model.safetensors")
    #expect(weights.entries["pooler.dense.weight"]?.shape == [24, 32] && weights.entries["classifier.weight"] == nil)
    #expect(
      maxDifference(try run(path, on: "vit_tiny_repr")["features"]!, try golden("vit_tiny_repr", "pre_logits.npy"))
        <= 1e-5)
  }

  @Test func aChangedWeightsFileIsNotTheExport() throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("vit_tiny_gap"), into: dir, name: "t") { $0.format = .timm }
    let file = path + "/model.safetensors"
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    bytes[bytes.count - 3] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    #expect(throws: ExportFileError.self) { try LoadedLibraryFolder(path: path, library: .timm) }
    // Skipping the checksums, the tensor's CRC-32C is not checked either; the shapes still are.
    #expect(try LoadedLibraryFolder(path: path, library: .timm, checksums: false).storedBytes(of: "head.bias") != nil)
    #expect(throws: ExportFileError.self) { try LoadedLibraryFolder(path: path, library: .transformers) }
  }

  /// A configuration file the library builds the model from, changed or missing, is not the
  /// export's: what verify proved would not be what the library runs. The README may change.
  @Test(arguments: [ExportFormat.timm, .transformers])
  func aChangedConfigurationIsNotTheExport(format: ExportFormat) throws {
    let dir = TemporaryDirectory()
    let path = try convert(Fixtures.path("vit_tiny_token"), into: dir, name: "f") { $0.format = format }
    try "edited by hand\n".write(toFile: path + "/README.md", atomically: true, encoding: .utf8)
    _ = try LoadedLibraryFolder(path: path, library: format)
    let config = path + "/config.json"
    let original = try String(contentsOfFile: config, encoding: .utf8)
    let deeper = original.replacingOccurrences(of: "\"depth\" : 2", with: "\"depth\" : 3")
      .replacingOccurrences(of: "\"num_hidden_layers\" : 2", with: "\"num_hidden_layers\" : 3")
    #expect(deeper != original)
    try deeper.write(toFile: config, atomically: true, encoding: .utf8)
    #expect { try LoadedLibraryFolder(path: path, library: format) } throws: {
      "\($0)" == "\(config): is not the one mixer-convert wrote (its SHA-256 differs from mixer-convert.json's), so "
        + "the library would build another model from it: convert again"
    }
    _ = try LoadedLibraryFolder(path: path, library: format, checksums: false)
    try FileManager.default.removeItem(atPath: config)
    #expect { try LoadedLibraryFolder(path: path, library: format) } throws: { "\($0)" == "\(config): does not exist" }
  }
}
