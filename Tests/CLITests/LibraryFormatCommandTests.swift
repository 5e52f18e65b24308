import Foundation
import TestSupport
import Testing

/// timm and transformers folders and writing back to .npz through the command line: the
/// summary's notes, refusals in one line, an export given where the checkpoint goes.
@Suite struct LibraryFormatCommandTests {
  @Test func aTimmMixerSaysHowToGetTheOriginalGELU() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run(["synth", "Mixer-S_32", dir.file("m.npz"), "--quiet"]).status == 0)
    let result = try CommandRunner.run([dir.file("m.npz"), dir.file("t"), "--format", "timm"])
    #expect(result.status == 0, "\(result.standardError)")
    let lines = result.standardOutput.split(separator: "\n")
    #expect(
      lines.count == 2 && lines[0].hasPrefix("Mixer-S/32 · 19,104,624 params · float32 · ")
        && lines[0].contains(" in timm layout · "))
    #expect(
      lines.last?.hasPrefix("note: timm builds MLP-Mixer with exact (erf) GELU") == true
        && lines.last?.contains("act_layer=timm.layers.GELUTanh") == true)
    let readme = try String(contentsOfFile: dir.file("t/README.md"), encoding: .utf8)
    #expect(readme.contains("timm.create_model(\"local-dir:.\", pretrained=True, act_layer=timm.layers.GELUTanh)"))
    let config = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: dir.file("t/config.json"))))
    #expect((config as? [String: Any])?["architecture"] as? String == "mixer_s32_224")
  }

  @Test func modelsAFormatCannotHoldAreRefusedInOneLine() throws {
    let dir = TemporaryDirectory()
    for (fixture, format, message) in [
      (
        "mixer_tiny", "transformers",
        "transformers cannot hold this model: transformers has no MLP-Mixer model; "
          + "bundle, hdf5, onnx and npz can"
      ),
      (
        "vit_tiny_repr", "timm",
        "timm cannot hold this model: timm's VisionTransformer has no representation "
          + "(pre_logits) layer; bundle, hdf5, onnx and npz can"
      ),
    ] {
      let result = try CommandRunner.run([Fixtures.path(fixture), dir.file("out"), "--format", format])
      #expect(result.status == 2 && result.standardError.contains(message), "\(result.standardError)")
      #expect(result.standardError.split(separator: "\n").count == 1)
    }
    #expect(dir.contents().isEmpty)
  }

  @Test func anExportIsWrittenBackToAnNpzOnly() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    #expect(try CommandRunner.run([source, dir.file("m.onnx"), "--quiet"]).status == 0)
    let back = try CommandRunner.run([dir.file("m.onnx"), dir.file("back.npz")])
    #expect(
      back.status == 0 && back.standardOutput.hasPrefix("custom Mixer · 34,730 params · float32 · 0.1 MiB in npz · ")
        && back.standardOutput.hasSuffix(" → \(dir.file("back.npz"))\n"), "\(back.standardError)")
    let json = try CommandRunner.run([dir.file("m.onnx"), dir.file("back16.npz"), "--dtype", "float16", "--json"])
    let conversion = try json.jsonObject()["conversion"] as? [String: Any]
    #expect(conversion?["format"] as? String == "npz" && conversion?["dtype"] as? String == "float16")
    for (arguments, message) in [
      ([dir.file("m.onnx"), dir.file("x.h5")], "is an export: it can be written back to an .npz checkpoint only"),
      (
        [dir.file("m.onnx"), dir.file("x.npz"), "--image-size", "64"], "--image-size applies to converting a checkpoint"
      ),
      ([source, dir.file("x.npz"), "--verify"], "--verify checks an export; an .npz output is a checkpoint"),
    ] {
      let result = try CommandRunner.run(arguments)
      #expect(result.status == 2 && result.standardError.contains(message), "\(result.standardError)")
    }
    #expect(Set(dir.contents()) == ["m.onnx", "back.npz", "back16.npz"])
  }
}
