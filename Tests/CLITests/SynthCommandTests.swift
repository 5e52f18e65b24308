import Foundation
import TestSupport
import Testing

@Suite struct SynthCommandTests {
  private func inspectJSON(_ path: String) throws -> [String: Any] {
    let result = try CommandRunner.run(["inspect", path, "--json"])
    #expect(result.status == 0, "\(result.standardError)")
    return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
  }

  @Test(arguments: ["Mixer-S_32", "ViT-Ti_16", "R+ViT-Ti_16", "ViT-S_32-gap-norep"])
  func syntheticModelsAreRecognisedAsThemselves(model: String) throws {
    let dir = TemporaryDirectory()
    let path = dir.file("m.npz")
    let result = try CommandRunner.run(["synth", model, path, "--quiet"])
    #expect(result.status == 0, "\(result.standardError)")
    let summary = try inspectJSON(path)["model"] as! [String: Any]
    #expect(summary["upstream_name"] as? String == model)
    #expect((summary["report"] as! [String: Any])["missing"] as? [String] == [])
    #expect(summary["classes"] as? Int == 1000)
  }

  @Test func optionsShapeTheOutput() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("v.npz")
    let run = try CommandRunner.run([
      "synth", "vit-ti_16", path, "--naming", "linen", "--classes", "0", "--dtype",
      "bfloat16", "--compress", "--json",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    let summary = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as! [String: Any]
    #expect(summary["model"] as? String == "ViT-Ti_16" && summary["dtype"] as? String == "bfloat16")
    let report = try inspectJSON(path)
    #expect(report["compression"] as? String == "deflate")
    let model = report["model"] as! [String: Any]
    #expect(model["variant"] as? String == "feature_extractor")
    #expect((model["vit"] as! [String: Any])["naming"] as? String == "linen")
    let nodes = report["nodes"] as! [[String: Any]]
    #expect(nodes.filter { $0["kind"] as? String == "tensor" }.allSatisfy { $0["dtype"] as? String == "bfloat16" })
    #expect(nodes.contains { ($0["path"] as! String).hasSuffix("MultiHeadDotProductAttention_0") })
  }

  @Test func outputIsReproducibleAndSeeded() throws {
    let dir = TemporaryDirectory()
    for (name, seed) in [("a", "1"), ("b", "1"), ("c", "2")] {
      #expect(try CommandRunner.run(["synth", "Mixer-S_32", dir.file(name), "--seed", seed, "--quiet"]).status == 0)
    }
    let bytes = try ["a", "b", "c"].map { try Data(contentsOf: URL(fileURLWithPath: dir.file($0))) }
    #expect(bytes[0] == bytes[1])
    #expect(bytes[0] != bytes[2])
  }

  @Test func existingOutputNeedsForce() throws {
    let dir = TemporaryDirectory()
    let path = dir.write("x.npz", [1, 2, 3])
    let refused = try CommandRunner.run(["synth", "Mixer-S_32", path])
    #expect(refused.status == 2)
    #expect(refused.standardError == "mixer-convert: error: \(path): already exists; pass --force to replace it\n")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 3]))
    #expect(try CommandRunner.run(["synth", "Mixer-S_32", path, "--force", "--quiet"]).status == 0)
    #expect(try inspectJSON(path)["tensors"] as? Int == 8 * 12 + 6)
    #expect(dir.contents() == ["x.npz"])
  }

  @Test func listAndBadNames() throws {
    let list = try CommandRunner.run(["synth", "--list"])
    #expect(
      list.status == 0 && list.standardOutput.contains("R50+ViT-L_32") && list.standardOutput.contains("328,994,856"))
    let unknown = try CommandRunner.run(["synth", "ViT-Z_99", "/tmp/x.npz"])
    #expect(unknown.status == 2 && unknown.standardError.contains("unknown model 'ViT-Z_99'"))
    let noFolder = try CommandRunner.run(["synth", "Mixer-S_32", "/nonexistent/dir/x.npz"])
    #expect(noFolder.status == 2 && noFolder.standardError.contains("does not exist"))
    // An export's suffix on the checkpoint, or arguments --list would ignore, are refused.
    let h5 = try CommandRunner.run(["synth", "Mixer-S_32", "/nonexistent/x.h5"])
    #expect(h5.status == 2 && h5.standardError.contains("synth writes an .npz checkpoint, not an HDF5 file"))
    for name in ["s.npy", "s.safetensors"] {
      let other = try CommandRunner.run(["synth", "Mixer-S_32", "/nonexistent/" + name])
      #expect(other.refused("\(name): synth writes an .npz checkpoint; name it .npz"), "\(other.standardError)")
    }
    let listed = try CommandRunner.run(["synth", "--list", "x"])
    #expect(listed.status == 2 && listed.standardError.contains("--list takes no MODEL or output path"))
  }
}
