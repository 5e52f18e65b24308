import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct ConvertRunVerifyCommandTests {
  @Test func convertIsTheDefaultCommandAndPrintsOneLine() throws {
    let dir = TemporaryDirectory()
    let result = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("out")])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError.isEmpty, "no progress bar when standard error is not a terminal")
    let lines = result.standardOutput.split(separator: "\n")
    #expect(lines.count == 1)
    #expect(lines[0].hasPrefix("custom Mixer · 34,730 params · float32 · 0.1 MiB in 1 shard · "))
    #expect(lines[0].hasSuffix("→ \(dir.file("out"))"))
    #expect(Set(dir.contents()) == ["out"])
  }

  @Test func convertJSONAndVerifyFlag() throws {
    let dir = TemporaryDirectory()
    let result = try CommandRunner.run([
      "convert", Fixtures.path("mixer_tiny"), dir.file("out"), "--json", "--verify",
      "--dtype", "bfloat16", "--shard-size", "40KB",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let report = try result.jsonObject()
    let conversion = report["conversion"] as! [String: Any]
    #expect(conversion["parameters"] as? Int == 34730 && conversion["dtype"] as? String == "bfloat16")
    let shards = (conversion["files"] as? [String] ?? []).filter { $0.hasSuffix(".safetensors") }
    #expect(shards.count > 1 && (conversion["storage"] as? String) == "in \(shards.count) shards")
    let verification = report["verification"] as! [String: Any]
    #expect(verification["passed"] as? Bool == true && verification["format"] as? String == "mixer-convert.verify")
    // verify's inputs and tolerance, given to convert --verify.
    let input = Fixtures.path("mixer_tiny", "input.npy")
    let tuned = try CommandRunner.run([
      Fixtures.path("mixer_tiny"), dir.file("tuned"), "--verify", "--input", input, "--rtol", "1e-3", "--json",
    ])
    let tunedReport = try tuned.jsonObject()["verification"] as? [String: Any]
    let tolerance = tunedReport?["tolerance"] as? [String: Any]
    #expect(tuned.status == 0 && tunedReport?["input"] as? String == input, "\(tuned.standardError)")
    #expect(tolerance?["rtol"] as? Double == 1e-3 && tolerance?["atol"] as? Double == 1e-5)
    let strict = try CommandRunner.run([
      Fixtures.path("mixer_tiny"), dir.file("strict"), "--verify", "--seed", "3", "--batch", "3", "--atol", "0",
      "--rtol", "0", "--json",
    ])
    let strictReport = try strict.jsonObject()["verification"] as? [String: Any]
    #expect(strict.status == 1 && strictReport?["passed"] as? Bool == false && strictReport?["batch"] as? Int == 3)
    #expect(strictReport?["export"] as? String == dir.file("strict"), "the output, not the temporary verified")
    #expect(try strict.jsonObject()["conversion"] == nil && strict.standardError.contains("the export was not written"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("strict")), "an export that drifts is not written")
    #expect(dir.contents().allSatisfy { !$0.hasPrefix(".strict") }, "\(dir.contents())")
    // Verified before its commit: one that drifts leaves the export --force would replace as it was.
    func files(_ folder: String) throws -> [String: Data] {
      try Dictionary(
        uniqueKeysWithValues: FileManager.default.contentsOfDirectory(atPath: folder).map {
          ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        })
    }
    let kept = try files(dir.file("tuned"))
    let replacing = try CommandRunner.run([
      Fixtures.path("vit_tiny_token"), dir.file("tuned"), "--force", "--verify", "--atol", "0", "--rtol", "0",
    ])
    #expect(replacing.status == 1 && replacing.standardOutput.contains("DRIFT"), "\(replacing.standardError)")
    #expect(
      replacing.standardError.hasSuffix("; the export was not written (the one there before stays as it was)\n"),
      "\(replacing.standardError)")
    #expect(try files(dir.file("tuned")) == kept)
    // One that passes is put in place, and the report names the export there.
    let passing = try CommandRunner.run([
      Fixtures.path("vit_tiny_token"), dir.file("tuned"), "--force", "--verify", "--json",
    ])
    let identity = try passing.jsonObject()["verification"] as? [String: Any]
    var info = stat()
    #expect(passing.status == 0 && lstat(dir.file("tuned"), &info) == 0, "\(passing.standardError)")
    // As the commit left it (a rename changes the status), not as it was while verified.
    let changed = try ([""] + FileManager.default.contentsOfDirectory(atPath: dir.file("tuned"))).map { name in
      var file = stat()
      try #require(lstat(dir.file("tuned") + (name.isEmpty ? "" : "/" + name), &file) == 0)
      return Int64(file.st_ctim.tv_sec) * 1_000_000_000 + Int64(file.st_ctim.tv_nsec)
    }.max()
    let recorded = identity?["export_identity"] as? [String: Any]
    #expect(recorded?["inode"] as? UInt64 == UInt64(info.st_ino))
    #expect(recorded?["status_change_nanoseconds"] as? Int64 == changed)
    #expect(try files(dir.file("tuned")) != kept)
    // An input that cannot be read is refused before the conversion, which then writes nothing.
    let missing = try CommandRunner.run([
      Fixtures.path("mixer_tiny"), dir.file("never"), "--verify", "--input", dir.file("missing.npy"),
    ])
    #expect(missing.status == 2 && missing.standardError.contains("missing.npy"), "\(missing.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("never")))
  }

  /// An input of another image size or not finite, or a batch that cannot run, is refused
  /// before the conversion: no export is written, and an export `--force` would replace stays
  /// as it was. A verification that still cannot run (an ONNX graph needing more memory than
  /// the canonical one checked first) fails before the commit: the export it staged is removed,
  /// and the error names the output, not its temporary sibling.
  @Test func convertVerifyRefusesAnInputThatCannotRunBeforeWriting() throws {
    let dir = TemporaryDirectory()
    let small = dir.file("small.npy")
    try NpyFile.write([Float](repeating: 0, count: 8 * 8 * 3), shape: [1, 8, 8, 3], to: small, replacing: false)
    let nan = dir.file("nan.npy")
    let values = [Float.nan] + [Float](repeating: 0, count: 64 * 64 * 3 - 1)
    try NpyFile.write(values, shape: [1, 64, 64, 3], to: nan, replacing: false)
    let mixer = Fixtures.path("mixer_tiny")
    let vit = Fixtures.path("vit_tiny_token")
    let refusals: [(arguments: [String], message: String)] = [
      ([mixer, "--input", small], "small.npy: input has shape [1, 8, 8, 3]; the export takes [batch, 64, 64, 3]"),
      ([mixer, "--input", nan], "nan.npy: the input holds 1 NaN or infinite value"),
      ([mixer, "--batch", "2147483648"], "params.npz: verifying its export: a batch of 2147483648 needs about"),
      ([vit, "--image-size", "4096", "--batch", "1000"], "verifying its export: a batch of 1000 needs about"),
    ]
    for (arguments, message) in refusals {
      let result = try CommandRunner.run([arguments[0], dir.file("new"), "--verify"] + arguments.dropFirst())
      #expect(result.refused(message), "\(arguments): \(result.standardError)")
      #expect(!FileManager.default.fileExists(atPath: dir.file("new")), "\(arguments)")
    }
    #expect(try CommandRunner.run([mixer, dir.file("kept"), "--quiet"]).status == 0)
    let graph = try Data(contentsOf: URL(fileURLWithPath: dir.file("kept") + "/graph.json"))
    for input in [small, nan] {
      let replacing = try CommandRunner.run([vit, dir.file("kept"), "--force", "--verify", "--input", input])
      #expect(replacing.refused(input + ": "), "\(replacing.standardError)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("kept") + "/graph.json")) == graph)
    }
    // Under a 2 GiB budget, 15000 images fit the canonical graph (about 100 KB each) but not
    // the ONNX one (about 196 KB each, its attention scores held per image).
    let limited = ["/bin/sh", "-c", "ulimit -v 4194304 && exec \"$0\" \"$@\""]
    let onnx = try CommandRunner.run([vit, dir.file("new.onnx"), "--verify", "--batch", "15000"], prefix: limited)
    #expect(onnx.refused("new.onnx: a batch of 15000 needs about"), "\(onnx.standardError)")
    #expect(onnx.standardError.hasSuffix("; the export was not written\n"), "\(onnx.standardError)")
    #expect(dir.contents().filter { $0.hasPrefix("new") || $0.hasPrefix(".new") } == [], "\(dir.contents())")
  }

  @Test func convertRefusesBadInputsWithExitTwo() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("out"), "--quiet"]).status == 0)
    let again = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("out")])
    #expect(again.status == 2 && again.standardError.contains("already exists; pass --force to replace it"))
    let html = dir.write("page.npz", Array("<html>nope</html>".utf8))
    let refused = try CommandRunner.run([html, dir.file("other")])
    #expect(refused.status == 2)
    #expect(
      refused.standardError
        == "mixer-convert: error: \(html): not an npz file: it is not a zip archive (it looks like an HTML or XML page: was the download an error page?)\n"
    )
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("x"), "--shard-size", "0"]).status == 2)
    #expect(
      try CommandRunner.run([Fixtures.path("mixer_tiny_fe"), dir.file("x"), "--variant", "classification"]).status == 2)
    #expect(Set(dir.contents()) == ["out", "page.npz"])
  }

  @Test func runWritesOutputsThatMatchFlax() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let input = Fixtures.path("mixer_tiny", "input.npy")
    let result = try CommandRunner.run(["run", dir.file("b"), "--input", input, "--output", dir.file("logits.npy")])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput == "\(dir.file("logits.npy")): logits [2, 10]\n")
    let (shape, values) = try NpyFile.readFloats(path: dir.file("logits.npy"))
    let (_, expected) = try NpyFile.readFloats(path: Fixtures.path("mixer_tiny", "logits.npy"))
    #expect(shape == [2, 10])
    #expect(zip(values, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
    let pre = try CommandRunner.run([
      "run", dir.file("b"), "--input", input, "--output", dir.file("pre.npy"),
      "--output-name", "pre_logits", "--repeat", "3", "--json", "--threads", "1",
    ])
    let summary = try pre.jsonObject()
    #expect(summary["shape"] as? [Int] == [2, 32] && summary["repeats"] as? Int == 3)
    #expect((summary["median_seconds"] as! Double) > 0)
    // The text report keeps three significant digits below 10 ms: a tiny model's latency is
    // no "0.0 ms" or "0.1 ms".
    let timed = try CommandRunner.run([
      "run", dir.file("b"), "--input", input, "--output", dir.file("timed.npy"), "--repeat", "3", "--threads", "1",
    ])
    let words = timed.standardError.split(separator: " ")
    let figures = words.indices.dropLast().filter { words[$0 + 1].hasPrefix("ms") }.map { words[$0] }
    #expect(timed.standardError.hasPrefix("latency per batch of 2: median "), "\(timed.standardError)")
    #expect(
      figures.count == 2
        && figures.allSatisfy { (Double($0) ?? 0) > 0 && $0.filter(\.isNumber).drop { $0 == "0" }.count >= 3 },
      "\(timed.standardError)")
    #expect(timed.standardError.contains("(3 runs, 1 thread, "), "\(timed.standardError)")
  }

  @Test func aFloat64CheckpointIsNarrowedWithANote() throws {
    let dir = TemporaryDirectory()
    let file = try NpzFile(path: Fixtures.path("mixer_tiny"))
    let writer = try NpzWriter(path: dir.file("wide.npz"), compression: .stored, replacing: true)
    for array in file.arrays {
      let wide = try file.readData(array).withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
      }
      try wide.withUnsafeBytes { try writer.add(key: array.key, dtype: .float64, shape: array.shape, data: $0) }
    }
    try writer.finish()
    let result = try CommandRunner.run([dir.file("wide.npz"), dir.file("out"), "--verify"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(
      result.standardOutput.contains(
        "note: 30 of the checkpoint's tensors are float64; the export stores them as float32"),
      "\(result.standardOutput)")
    let plain = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("plain"), "--json"]).jsonObject()
    #expect((plain["conversion"] as? [String: Any])?["notes"] as? [String] == [], "a float32 checkpoint has no note")
  }

  @Test func runRefusesWrongInputsAndExistingOutputs() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let wrong = try CommandRunner.run([
      "run", dir.file("b"), "--input", Fixtures.path("mixer_tiny", "logits.npy"),
      "--output", dir.file("o.npy"),
    ])
    #expect(wrong.refused("logits.npy: input has shape [2, 10]; the export takes [batch, 64, 64, 3]"))
    let vit = try CommandRunner.run([
      "run", dir.file("b"), "--input", Fixtures.path("r50_vit_tiny", "input.npy"),
      "--output", dir.file("o.npy"),
    ])
    #expect(vit.status == 0, "64×64 inputs fit this model too")
    let exists = try CommandRunner.run([
      "run", dir.file("b"), "--input", Fixtures.path("mixer_tiny", "input.npy"),
      "--output", dir.file("o.npy"),
    ])
    #expect(exists.status == 2 && exists.standardError.contains("already exists"))
    // Refused before the input is read or the model runs: a missing input is not reported.
    let first = try CommandRunner.run([
      "run", dir.file("b"), "--input", dir.file("gone.npy"), "--output", dir.file("o.npy"),
    ])
    #expect(first.refused("\(dir.file("o.npy")): already exists"), "\(first.standardError)")
    try FileManager.default.createSymbolicLink(atPath: dir.file("link.npy"), withDestinationPath: dir.file("o.npy"))
    for force in [[], ["--force"]] {
      let link = try CommandRunner.run(
        ["run", dir.file("b"), "--input", dir.file("gone.npy"), "--output", dir.file("link.npy")] + force)
      #expect(link.refused("link.npy: is a symbolic link; remove it"), "\(link.standardError)")
    }
    let name = try CommandRunner.run([
      "run", dir.file("b"), "--input", Fixtures.path("mixer_tiny", "input.npy"),
      "--output", dir.file("p.npy"), "--output-name", "nope",
    ])
    #expect(name.status == 2 && name.standardError.contains("outputs: logits, pre_logits"))
  }

  /// Pixels of 0…255 given to a model that takes [-1, 1]: run and verify still run, and warn.
  @Test func runAndVerifyWarnAboutAnInputOutsideTheContract() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let pixels = dir.file("pixels.npy")
    try NpyFile.write((0..<(64 * 64 * 3)).map { Float($0 % 256) }, shape: [1, 64, 64, 3], to: pixels, replacing: false)
    let warning =
      "mixer-convert: warning: \(pixels): values span 0.0…255.0, outside the input contract's [-1, 1]: "
      + "was the image normalised? (inspect shows the export's preprocessing)\n"
    for arguments in [
      ["run", dir.file("b"), "--input", pixels, "--output", dir.file("o.npy"), "--json"],
      ["verify", Fixtures.path("mixer_tiny"), dir.file("b"), "--input", pixels, "--json"],
    ] {
      let result = try CommandRunner.run(arguments)
      #expect(result.status == 0 && result.standardError == warning, "\(arguments[0]): \(result.standardError)")
      let span = try result.jsonObject()["input_outside_range"] as? [String: Any]
      #expect(span?["smallest"] as? Double == 0 && span?["largest"] as? Double == 255, "\(result.standardOutput)")
    }
    let inRange = try CommandRunner.run([
      "verify", Fixtures.path("mixer_tiny"), dir.file("b"), "--input", Fixtures.path("mixer_tiny", "input.npy"),
    ])
    #expect(inRange.status == 0 && inRange.standardError.isEmpty, "\(inRange.standardError)")
  }

  /// A weight beyond float16's range is refused, naming the tensor, not stored as infinity
  /// (converted or written back); an infinite weight fails verify, which names it, in one line
  /// under --quiet.
  @Test func weightsBeyondTheDTypeOrInfiniteAreCaught() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let head = try #require(try NpzFile(path: source).arrays.first { $0.key == "head/bias" })
    func checkpoint(_ name: String, first: Float) throws -> String {
      var values = [Float](repeating: 0.01, count: head.shape.reduce(1, *))
      values[0] = first
      try CheckpointRewriter.rewrite(
        source, to: dir.file(name), replace: ["head/bias": .init(shape: head.shape, values: values)])
      return dir.file(name)
    }
    let big = try checkpoint("big.npz", first: 1e5)
    let refused = try CommandRunner.run([big, dir.file("f16"), "--dtype", "float16"])
    #expect(
      refused.refused(
        "\(big): tensor 'head/bias' holds 1 value beyond float16's range (±65504), which would become infinite; "
          + "choose a wider --dtype"), "\(refused.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("f16")))
    #expect(try CommandRunner.run([big, dir.file("bf16"), "--dtype", "bfloat16", "--quiet"]).status == 0)
    #expect(try CommandRunner.run([big, dir.file("f32"), "--quiet"]).status == 0)
    let back = try CommandRunner.run([dir.file("f32"), dir.file("back.npz"), "--dtype", "float16"])
    #expect(back.refused("\(dir.file("f32")): tensor 'head.bias' holds 1 value beyond float16's range"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("back.npz")))

    // A float64 value float32 cannot hold either: no --dtype would do, so none is suggested.
    let huge = dir.file("huge.npz")
    let writer = try NpzWriter(path: huge, compression: .stored, replacing: false)
    for array in try NpzFile(path: source).arrays {
      guard array.key == "head/bias" else {
        try NpzFile(path: source).readData(array).withUnsafeBytes {
          try writer.add(key: array.key, dtype: array.dtype, shape: array.shape, data: $0)
        }
        continue
      }
      var values = [Double](repeating: 0.01, count: head.shape.reduce(1, *))
      values[1] = 1e300
      try values.withUnsafeBytes { try writer.add(key: array.key, dtype: .float64, shape: head.shape, data: $0) }
    }
    try writer.finish()
    let hopeless = try CommandRunner.run([huge, dir.file("h16"), "--dtype", "float16"])
    #expect(
      hopeless.refused(
        "\(huge): tensor 'head/bias' holds 1 value beyond float16's range (±65504), which would become infinite; "
          + "float32 cannot hold them either (±3.40282e+38), so no --dtype can\n"), "\(hopeless.standardError)")

    let infinite = try checkpoint("inf.npz", first: .infinity)
    // Converted as it is, but said, in every dtype (the infinity is the checkpoint's, not an
    // overflow) and every mode: a warning on standard error, under --quiet too, and in --json.
    let converted = try CommandRunner.run([infinite, dir.file("inf"), "--json"])
    let note =
      "tensor 'head/bias' holds 1 NaN or infinite value, as the checkpoint does: the export keeps it, "
      + "and the model's outputs will likely not be finite"
    let json = try JSONSerialization.jsonObject(with: Data(converted.standardOutput.utf8)) as? [String: Any]
    let conversion = json?["conversion"] as? [String: Any]
    #expect(converted.status == 0 && conversion?["warnings"] as? [String] == [note], "\(converted.standardOutput)")
    #expect(converted.standardError == "mixer-convert: warning: " + note + "\n", "\(converted.standardError)")
    let half = try CommandRunner.run([infinite, dir.file("inf16"), "--dtype", "bfloat16"])
    #expect(half.status == 0 && half.standardError.contains("mixer-convert: warning: " + note), "\(half.standardError)")
    #expect(!half.standardOutput.contains("NaN"), "\(half.standardOutput)")
    let quietly = try CommandRunner.run([infinite, dir.file("inf-quiet"), "--quiet"])
    #expect(quietly.status == 0 && quietly.standardOutput.isEmpty)
    #expect(quietly.standardError == "mixer-convert: warning: " + note + "\n", "\(quietly.standardError)")
    // A batch's report carries it too.
    let report = dir.file("report.jsonl")
    let batch = try CommandRunner.run(
      ["convert-all", infinite, "--out-dir", dir.file("batch"), "--report", report, "--quiet"])
    let line = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    #expect(batch.status == 0 && line.contains("\"notes\":[\"" + note + "\"]"), "\(line)")
    // And on the terminal, under --quiet too, naming the checkpoint.
    #expect(batch.standardError == "mixer-convert: warning: \(infinite): " + note + "\n", "\(batch.standardError)")
    let finite = try CommandRunner.run([source, dir.file("finite")])
    #expect(finite.status == 0 && !finite.standardOutput.contains("NaN"), "\(finite.standardOutput)")
    let verify = try CommandRunner.run(["verify", infinite, dir.file("inf")])
    #expect(verify.status == 1 && verify.standardOutput.contains("NOT FINITE"), "\(verify.standardOutput)")
    // No difference or cosine is shown for it (they read inf and -1).
    let row = verify.standardOutput.split(separator: "\n").first { $0.contains("NOT FINITE") } ?? ""
    #expect(row.split(separator: " ").prefix(4) == ["logits", "-", "-", "-"], "\(row)")
    #expect(verify.standardOutput.contains("cause: the checkpoint's weights hold NaN or infinity (head/bias)"))
    let quiet = try CommandRunner.run(["verify", infinite, dir.file("inf"), "--quiet"])
    #expect(quiet.status == 1 && quiet.standardOutput.isEmpty)
    #expect(
      quiet.standardError
        == "mixer-convert: error: \(dir.file("inf")): parity fails: logits holds 2 NaN or infinite values; "
        + "the checkpoint's weights hold NaN or infinity (head/bias), so the original's outputs are not finite "
        + "either\n", "\(quiet.standardError)")
  }

  @Test func verifyPassesDriftsAndRefuses() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let ok = try CommandRunner.run(["verify", Fixtures.path("mixer_tiny"), dir.file("b")])
    #expect(ok.status == 0, "\(ok.standardOutput)")
    #expect(ok.standardOutput.contains("weights: 30/30 bit-exact copies of the source values"))
    #expect(ok.standardOutput.contains("parity: ok"))
    // Another checkpoint with the same shapes: every weight and output differs.
    let other = try CommandRunner.run(["verify", Fixtures.path("mixer_tiny_compressed"), dir.file("b"), "--json"])
    #expect(other.status == 0, "the compressed fixture holds the same arrays")
    #expect(try other.jsonObject()["source_matches"] as? Bool == false)
    #expect(try CommandRunner.run(["synth", "Mixer-S_32", dir.file("a.npz"), "--classes", "7", "--quiet"]).status == 0)
    #expect(
      try CommandRunner.run(["synth", "Mixer-S_32", dir.file("c.npz"), "--classes", "7", "--seed", "9", "--quiet"])
        .status == 0)
    #expect(try CommandRunner.run([dir.file("a.npz"), dir.file("sa"), "--quiet"]).status == 0)
    let drift = try CommandRunner.run(["verify", dir.file("c.npz"), dir.file("sa"), "--batch", "1"])
    #expect(drift.status == 1, "\(drift.standardOutput)\(drift.standardError)")
    #expect(drift.standardOutput.contains("DRIFT"))
    // A damaged bundle is bad input (2) for both run and verify.
    let shard = dir.file("b") + "/model-00001-of-00001.safetensors"
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
    bytes[bytes.count - 10] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: shard))
    for arguments in [
      ["verify", Fixtures.path("mixer_tiny"), dir.file("b")],
      ["run", dir.file("b"), "--input", Fixtures.path("mixer_tiny", "input.npy"), "--output", dir.file("z.npy")],
    ] {
      let damaged = try CommandRunner.run(arguments)
      #expect(damaged.status == 2)
      #expect(damaged.standardError.hasPrefix("mixer-convert: error: \(shard): tensor 'head.bias': CRC-32C is "))
      #expect(damaged.standardError.split(separator: "\n").count == 1)
    }
  }
}
