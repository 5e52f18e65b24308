import Checkpoint
import Foundation
import TestSupport
import Testing

/// ViT and hybrid specifics through the command line: malformed architectures, other
/// resolutions, unpooled heads and the Linen naming.
@Suite struct ViTCommandTests {
  private func graph(_ bundle: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: bundle + "/graph.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  /// Every attention tensor of the two-block tiny ViT, reshaped to `heads` heads of `width`.
  private func attentionWith(heads: Int, width: Int) -> [String: CheckpointRewriter.Replacement] {
    var replacements: [String: CheckpointRewriter.Replacement] = [:]
    for block in 0..<2 {
      let prefix = "Transformer/encoderblock_\(block)/MultiHeadDotProductAttention_1/"
      for projection in ["query", "key", "value"] {
        replacements[prefix + projection + "/kernel"] = .init(shape: [32, heads, width])
        replacements[prefix + projection + "/bias"] = .init(shape: [heads, width])
      }
      replacements[prefix + "out/kernel"] = .init(shape: [heads, width, 32])
    }
    return replacements
  }

  @Test func malformedArchitecturesExitTwoWithTheReason() throws {
    let dir = TemporaryDirectory()
    let token = Fixtures.path("vit_tiny_token")
    let position = dir.file("position.npz")
    try CheckpointRewriter.rewrite(
      token, to: position,
      replace: ["Transformer/posembed_input/pos_embedding": .init(shape: [1, 20, 32])])
    let heads = dir.file("heads.npz")
    try CheckpointRewriter.rewrite(token, to: heads, replace: attentionWith(heads: 5, width: 6))
    #expect(
      try CommandRunner.run(["synth", "R26+ViT-S_32", dir.file("r26.npz"), "--classes", "10", "--quiet"]).status == 0)
    let unit = dir.file("unit.npz")
    try CheckpointRewriter.rewrite(dir.file("r26.npz"), to: unit) { $0.hasPrefix("block2/unit1/") ? nil : $0 }
    let cases = [
      (
        position,
        "position embedding has 20 rows: 19 patch tokens (after the class-token row) do not form a square grid"
      ),
      (heads, "attention has 5 heads of width 6, which do not divide the hidden size 32"),
      (unit, "missing: block2/unit1/conv1/kernel"),
    ]
    for (path, reason) in cases {
      let result = try CommandRunner.run([path, dir.file("out")])
      #expect(result.status == 2, "\(path): \(result.standardError)")
      #expect(result.standardError.hasPrefix("mixer-convert: error: \(path): "))
      #expect(result.standardError.contains(reason), "\(result.standardError)")
      #expect(result.standardError.split(separator: "\n").count == 1)
      #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
      // inspect reads the same file fine and shows the problem in its layout report.
      let inspect = try CommandRunner.run(["inspect", path, "--depth", "1"])
      #expect(inspect.status == 0 && inspect.standardOutput.contains(reason), "\(inspect.standardOutput)")
    }
  }

  @Test func imageSizeResizesThePositionEmbeddingAndVerifies() throws {
    let dir = TemporaryDirectory()
    let token = Fixtures.path("vit_tiny_token")
    let resized = try CommandRunner.run([token, dir.file("b96"), "--image-size", "96", "--verify", "--json"])
    #expect(resized.status == 0, "\(resized.standardError)")
    let report = try JSONSerialization.jsonObject(with: Data(resized.standardOutput.utf8)) as! [String: Any]
    let weights = (report["verification"] as! [String: Any])["weights"] as! [String: Any]
    #expect(weights["transformed"] as? Int == 1 && weights["passed"] as? Bool == true, "\(weights)")
    let document = try graph(dir.file("b96"))
    let input = document["input"] as! [String: Any]
    #expect(input["shape"] as? [Int] == [-1, 96, 96, 3])
    let tensors = (document["weights"] as! [String: Any])["tensors"] as! [String: [String: Any]]
    let entry = try #require(tensors["position.embedding"])
    #expect(entry["shape"] as? [Int] == [1, 37, 32] && entry["source_shape"] as? [Int] == [1, 17, 32])
    let transform = try #require(entry["transform"] as? [String: Any])
    #expect(
      transform["kind"] as? String == "resize_position_embedding"
        && transform["interpolation"] as? String == "linear_aligned_corners")
    #expect(
      transform["from_grid"] as? Int == 4 && transform["to_grid"] as? Int == 6
        && transform["class_token_row"] as? Bool == true)
    let config = (document["model"] as! [String: Any])["config"] as! [String: Any]
    #expect(config["image_size"] as? Int == 96 && config["trained_image_size"] as? Int == 64)

    let hybrid = try CommandRunner.run([
      Fixtures.path("r50_vit_tiny"), dir.file("h80"), "--image-size", "80", "--verify",
    ])
    #expect(hybrid.status == 0, "\(hybrid.standardOutput)\(hybrid.standardError)")

    let odd = try CommandRunner.run([token, dir.file("odd"), "--image-size", "100"])
    #expect(
      odd.status == 2
        && odd.standardError.contains(
          "an image size of 100 is not a multiple of 16, the pixels per patch-grid cell (--image-size)")
    )
    let mixer = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("m"), "--image-size", "96"])
    #expect(mixer.status == 2 && mixer.standardError.contains("MLP-Mixer cannot change resolution"))
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["b96", "h80"])
  }

  /// An unpooled head classifies every token; token 0 of `token_unpooled` is the class token,
  /// and the mean of `unpooled`'s per-token logits is the `gap` logits (the head is affine).
  @Test func unpooledClassifiersKeepTheTokenAxis() throws {
    let dir = TemporaryDirectory()
    let expectedToken = try NpyFile.readFloats(path: Fixtures.path("vit_tiny_token", "logits.npy"))
    #expect(
      try CommandRunner.run([
        Fixtures.path("vit_tiny_token"), dir.file("tu"), "--classifier", "token_unpooled",
        "--verify", "--quiet",
      ]).status == 0)
    let tokens = try CommandRunner.run([
      "run", dir.file("tu"), "--input", Fixtures.path("vit_tiny_token", "input.npy"),
      "--output", dir.file("tu.npy"),
    ])
    #expect(tokens.status == 0 && tokens.standardOutput.contains("logits [2, 17, 10]"), "\(tokens.standardOutput)")
    let perToken = try NpyFile.readFloats(path: dir.file("tu.npy"))
    for sample in 0..<2 {
      for k in 0..<10 {
        #expect(abs(perToken.values[sample * 170 + k] - expectedToken.values[sample * 10 + k]) <= 1e-5)
      }
    }

    let expectedMean = try NpyFile.readFloats(path: Fixtures.path("vit_tiny_gap", "logits.npy"))
    #expect(
      try CommandRunner.run([
        Fixtures.path("vit_tiny_gap"), dir.file("u"), "--classifier", "unpooled",
        "--verify", "--quiet",
      ]).status == 0)
    #expect(
      try CommandRunner.run([
        "run", dir.file("u"), "--input", Fixtures.path("vit_tiny_gap", "input.npy"),
        "--output", dir.file("u.npy"),
      ]).status == 0)
    let unpooled = try NpyFile.readFloats(path: dir.file("u.npy"))
    #expect(unpooled.shape == [2, 16, 10])
    for sample in 0..<2 {
      for k in 0..<10 {
        let mean = (0..<16).map { unpooled.values[sample * 160 + $0 * 10 + k] }.reduce(0, +) / 16
        #expect(abs(mean - expectedMean.values[sample * 10 + k]) <= 1e-5)
      }
    }

    let mismatch = try CommandRunner.run([
      Fixtures.path("vit_tiny_gap"), dir.file("x"), "--classifier", "token_unpooled",
    ])
    #expect(mismatch.status == 2 && mismatch.standardError.contains("can be exported as gap or unpooled"))
    let mixer = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("x"), "--classifier", "unpooled"])
    #expect(
      mixer.status == 2
        && mixer.standardError.contains(
          "a classifier applies to ViTs; MLP-Mixer always averages its tokens (--classifier)")
    )
  }

  @Test func linenNamingAndReducedPrecisionSourcesConvert() throws {
    let dir = TemporaryDirectory()
    let synth = try CommandRunner.run([
      "synth", "ViT-Ti_16", dir.file("linen.npz"), "--naming", "linen", "--classes", "10",
      "--dtype", "bfloat16", "--quiet",
    ])
    #expect(synth.status == 0)
    let inspect = try CommandRunner.run(["inspect", dir.file("linen.npz"), "--depth", "1"])
    #expect(inspect.standardOutput.contains("linen block names") && inspect.standardOutput.contains("ViT-Ti/16"))
    let convert = try CommandRunner.run([dir.file("linen.npz"), dir.file("b"), "--verify"])
    #expect(convert.status == 0, "\(convert.standardOutput)\(convert.standardError)")
    let document = try graph(dir.file("b"))
    let tensors = (document["weights"] as! [String: Any])["tensors"] as! [String: [String: Any]]
    #expect(tensors["blocks.0.norm2.scale"]?["source"] as? String == "Transformer/encoderblock_0/LayerNorm_1/scale")
    #expect(tensors["blocks.0.norm2.scale"]?["source_dtype"] as? String == "bfloat16")
  }
}
