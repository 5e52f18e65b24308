import Checkpoint
import Conversion
import Foundation
import Graph
import Kernels
import TestSupport
import Testing

@testable import Formats

/// The ONNX export read back by mixer-convert's own reader, which runs the ONNX nodes: the
/// same weights as the bundle, the Flax outputs, external data, options that belong to other
/// formats. (ONNX Runtime and onnx's checker judge the same files in Tests/python/check_onnx.py.)
@Suite struct ONNXTests {
  @Test(arguments: Fixtures.cases)
  func onnxHoldsTheBundlesWeightsAndComputesTheFlaxOutputs(fixture: String) throws {
    let dir = TemporaryDirectory()
    let bundle = try LoadedBundle(path: try convert(Fixtures.path(fixture), into: dir, name: "b"))
    let path = try convert(Fixtures.path(fixture), into: dir, name: "m.onnx")
    #expect(try Exports.format(of: path) == .onnx)
    let export = try LoadedONNX(path: path)
    // The same header but for the format's options (a bundle records its shard size).
    var (onnxHeader, bundleHeader) = (export.header, bundle.header)
    #expect(onnxHeader.formatOptions == ExportOptions() && bundleHeader.formatOptions?.shardSize == 2 << 30)
    (onnxHeader.formatOptions, bundleHeader.formatOptions) = (nil, nil)
    #expect(onnxHeader == bundleHeader)
    for name in bundle.header.weights.tensors.keys {
      #expect(Array(export.storedBytes(of: name)!) == Array(bundle.storedBytes(of: name)!), "\(name)")
    }
    #expect(export.operations["Conv"] != nil && export.operations["Dense"] == nil, "ONNX operators, not canonical ones")
    let outputs = try run(path, on: fixture)
    for output in bundle.header.outputs {
      #expect(maxDifference(outputs[output.name]!, try golden(fixture, output.name + ".npy")) <= 1e-5, "\(output.name)")
    }
  }

  @Test func externalDataHoldsTheSameBytesAtAlignedOffsets() throws {
    let dir = TemporaryDirectory()
    let inline = try LoadedONNX(path: try convert(Fixtures.path("vit_tiny_repr"), into: dir, name: "a.onnx"))
    let path = try convert(Fixtures.path("vit_tiny_repr"), into: dir, name: "b.onnx") { $0.options.externalData = true }
    let data = dir.contents().filter { ONNXLayout.isDataFile($0, of: "b.onnx") }
    #expect(data.count == 1)
    #expect(ONNXFormat.files(at: path) == [path, dir.file(data[0])])
    let external = try LoadedONNX(path: path)
    let base = try Data(contentsOf: URL(fileURLWithPath: dir.file(data[0])))
    for name in inline.header.weights.tensors.keys {
      let bytes = external.storedBytes(of: name)!
      #expect(Array(bytes) == Array(inline.storedBytes(of: name)!), "\(name)")
      base.withUnsafeBytes { whole in
        #expect(
          whole.firstRange(of: bytes).map { $0.lowerBound % ONNXLayout.dataAlignment == 0 } == true,
          "\(name) is aligned")
      }
    }
    #expect(
      maxDifference(try run(path, on: "vit_tiny_repr")["logits"]!, try golden("vit_tiny_repr", "logits.npy")) <= 1e-5)
  }

  @Test func optionsOfOtherFormatsAndUnknownSuffixesAreRefused() throws {
    let dir = TemporaryDirectory()
    #expect(throws: ConversionError.self) {
      try convert(Fixtures.path("mixer_tiny"), into: dir, name: "m.onnx") { $0.options.shardSize = 1 << 20 }
    }
    #expect(throws: ConversionError.self) {
      try convert(Fixtures.path("mixer_tiny"), into: dir, name: "m.h5") { $0.options.externalData = true }
    }
    #expect(throws: ConversionError.self) { try convert(Fixtures.path("mixer_tiny"), into: dir, name: "m.pt") }
    #expect(dir.contents().isEmpty)
    #expect(ExportFormat.implied(by: "out/") == .bundle && ExportFormat.implied(by: "x/mixer-b16") == .bundle)
    #expect(ExportFormat.implied(by: "M.ONNX") == .onnx && ExportFormat.implied(by: "m.hdf5") == .hdf5)
    #expect(ExportFormat.implied(by: "model.pt") == nil)
  }
}
