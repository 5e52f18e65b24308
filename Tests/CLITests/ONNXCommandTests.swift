import Checkpoint
import Foundation
import TestSupport
import Testing

/// The ONNX format through the command line: writing, every reader, classify, and the options
/// that belong to other formats.
@Suite struct ONNXCommandTests {
  @Test func convertWritesONNXAndEveryReaderAcceptsIt() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("r50_vit_tiny")
    let converted = try CommandRunner.run([source, dir.file("m.onnx"), "--dtype", "bfloat16", "--verify"])
    #expect(converted.status == 0, "\(converted.standardError)")
    #expect(converted.standardOutput.hasPrefix("custom R+ViT hybrid · 147,146 params · bfloat16 · 0.3 MiB in ONNX · "))
    #expect(converted.standardOutput.contains("parity: ok"))
    let input = Fixtures.path("r50_vit_tiny", "input.npy")
    let ran = try CommandRunner.run(["run", dir.file("m.onnx"), "--input", input, "--output", dir.file("o.npy")])
    #expect(ran.status == 0 && ran.standardOutput == "\(dir.file("o.npy")): logits [2, 10]\n", "\(ran.standardError)")
    let inspected = try CommandRunner.run(["inspect", dir.file("m.onnx"), "--json", "--depth", "1"]).jsonObject()
    #expect(inspected["container"] as? String == "onnx" && inspected["parameters"] as? Int == 147_146)
    let operations = inspected["operations"] as? [String: Int] ?? [:]
    #expect(operations["GroupNormalization"] != nil && operations["Cast"] != nil && operations["Conv"] != nil)
    let classified = try CommandRunner.run([
      "classify", dir.file("m.onnx"), Fixtures.path("images", "baseline444.jpg"),
      "--top", "2", "--json",
    ])
    #expect(classified.status == 0, "\(classified.standardError)")
    #expect(((try classified.jsonObject()["results"] as? [[String: Any]])?.first?["predictions"] as? [Any])?.count == 2)
    let external = try CommandRunner.run([source, dir.file("e.onnx"), "--external-data", "--json"])
    let files = ((try external.jsonObject())["conversion"] as? [String: Any])?["files"] as? [String] ?? []
    #expect(external.status == 0 && files.count == 2 && files[1].hasPrefix("e.onnx.") && files[1].hasSuffix(".data"))
    // A flipped bit in the data file is reported against the data file, not the model.
    let data = dir.file(files[1])
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: data)))
    bytes[bytes.count / 2] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: data))
    let damaged = try CommandRunner.run(["verify", source, dir.file("e.onnx")])
    #expect(
      damaged.status == 2 && damaged.standardError.hasPrefix("mixer-convert: error: \(data): tensor '")
        && damaged.standardError.contains("the data is corrupt"), "\(damaged.standardError)")
  }

  /// Every ONNX file the converter writes runs: a ViT above 1024 px pads its class token to
  /// more than 4096 positions (65 × 65 + 1 at 1040 px), which the runner once refused.
  @Test func aViTAtAHighResolutionRunsAsONNX() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let converted = try CommandRunner.run([source, dir.file("v.onnx"), "--image-size", "1040", "--quiet"])
    #expect(converted.status == 0, "\(converted.standardError)")
    let verified = try CommandRunner.run(["verify", source, dir.file("v.onnx"), "--batch", "1", "--json"])
    #expect(verified.status == 0, "\(verified.standardError)")
    #expect(try verified.jsonObject()["passed"] as? Bool == true)
  }

  @Test func optionsOfAnotherFormatAndUnknownSuffixesAreRefused() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    for (arguments, message) in [
      (
        [dir.file("m.onnx"), "--shard-size", "1MB"], "--shard-size applies to bundle output (a bundle folder), not onnx"
      ),
      ([dir.file("m.onnx"), "--h5-compress"], "--h5-compress applies to hdf5 output (an HDF5 file), not onnx"),
      ([dir.file("out"), "--external-data"], "--external-data applies to onnx output (an ONNX file), not bundle"),
      ([dir.file("model.pt")], "the suffix names no export format; pass --format bundle|hdf5|onnx"),
    ] {
      let result = try CommandRunner.run([source] + arguments)
      #expect(result.status == 2 && result.standardError.contains(message), "\(result.standardError)")
      #expect(result.standardError.split(separator: "\n").count == 1)
    }
    #expect(try CommandRunner.run([source, dir.file("model.pt"), "--format", "onnx", "--quiet"]).status == 0)
    #expect(Set(dir.contents()) == ["model.pt"])
  }
}
