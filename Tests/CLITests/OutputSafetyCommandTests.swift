import Checkpoint
import Foundation
import TestSupport
import Testing

/// What a user's files survive through the command line: a folder given as the output by
/// mistake, an output that lies inside the export being read, a stale data file, a misnamed
/// output and a batch export that drifts.
@Suite struct OutputSafetyCommandTests {
  /// --force replaces an export, an empty folder, never a folder of other files.
  @Test func forceNeverReplacesAFolderThatIsNoExport() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    try FileManager.default.createDirectory(atPath: dir.file("precious"), withIntermediateDirectories: false)
    try "keep".write(toFile: dir.file("precious/notes.txt"), atomically: true, encoding: .utf8)
    let refused = try CommandRunner.run([source, dir.file("precious"), "--force"])
    #expect(refused.refused("is a folder that holds files but no export"), "\(refused.standardError)")
    #expect(try String(contentsOfFile: dir.file("precious/notes.txt"), encoding: .utf8) == "keep")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("precious")) == ["notes.txt"])
    // A graph.json of the user's own makes no bundle.
    try #"{"nodes": []}"#.write(toFile: dir.file("precious/graph.json"), atomically: true, encoding: .utf8)
    let ownGraph = try CommandRunner.run([source, dir.file("precious"), "--force"])
    #expect(ownGraph.refused("is a folder that holds files but no export"), "\(ownGraph.standardError)")
    #expect(try String(contentsOfFile: dir.file("precious/graph.json"), encoding: .utf8) == #"{"nodes": []}"#)
    try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: false)
    #expect(try CommandRunner.run([source, dir.file("empty"), "--force", "--quiet"]).status == 0)
    #expect(try CommandRunner.run([source, dir.file("empty"), "--force", "--dtype", "float16", "--quiet"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: dir.file("empty/graph.json")))
  }

  /// --force replaces an export folder of each format, shards and library files included, but
  /// not one that also holds a file its format does not write: that file and the export survive.
  @Test(arguments: [["--shard-size", "40000"], ["--format", "timm"], ["--format", "transformers"]])
  func forceNeverDeletesFilesPutInAnExportFolder(format: [String]) throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let out = dir.file("out")
    #expect(try CommandRunner.run([source, out, "--quiet"] + format).status == 0)
    #expect(try CommandRunner.run([source, out, "--force", "--quiet"] + format).status == 0, "its own files")
    let written = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    if format[0] == "--shard-size" { #expect(written.filter { $0.hasSuffix(".safetensors") }.count > 1) }

    try "keep".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
    let refused = try CommandRunner.run([source, out, "--force"] + format)
    #expect(refused.refused("but also holds notes.txt, not part of the export"), "\(refused.standardError)")
    #expect(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8) == "keep")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == (written + ["notes.txt"]).sorted())
    #expect(try CommandRunner.run(["verify", source, out, "--quiet"]).status == 0, "the export is intact")

    for name in ["a", "b", "c"] {
      try FileManager.default.createDirectory(atPath: out + "/" + name, withIntermediateDirectories: false)
    }
    let many = try CommandRunner.run([source, out, "--force"] + format)
    #expect(many.refused("also holds a, b and 2 more, not part"), "\(many.standardError)")

    // A folder under a name the export writes, and a shard name past the count, are no export's.
    let impostor = format[0] == "--shard-size" ? "model-00009-of-00009.safetensors" : "README.md"
    let fresh = dir.file("fresh")
    #expect(try CommandRunner.run([source, fresh, "--quiet"] + format).status == 0)
    if impostor == "README.md" { try FileManager.default.removeItem(atPath: fresh + "/README.md") }
    try FileManager.default.createDirectory(atPath: fresh + "/" + impostor, withIntermediateDirectories: true)
    #expect(try CommandRunner.run([source, fresh, "--force"] + format).refused("also holds \(impostor), not part"))
    if format[0] == "--shard-size" {
      try FileManager.default.removeItem(atPath: fresh + "/" + impostor)
      try "notes".write(toFile: fresh + "/model-00003-of-00002.safetensors", atomically: true, encoding: .utf8)
      let pastCount = try CommandRunner.run([source, fresh, "--force"] + format)
      #expect(pastCount.refused("also holds model-00003-of-00002.safetensors"), "\(pastCount.standardError)")
      // A shard's name within its count, but one the index does not list, is no export's either.
      try FileManager.default.removeItem(atPath: fresh + "/model-00003-of-00002.safetensors")
      try "notes".write(toFile: fresh + "/model-00001-of-00001.safetensors", atomically: true, encoding: .utf8)
      let unlisted = try CommandRunner.run([source, fresh, "--force"] + format)
      #expect(unlisted.refused("also holds model-00001-of-00001.safetensors"), "\(unlisted.standardError)")
      #expect(try String(contentsOfFile: fresh + "/model-00001-of-00001.safetensors", encoding: .utf8) == "notes")
    }

    // Nor is an export written inside another export's folder.
    let inside = try CommandRunner.run([source, out + "/inner.h5", "--format", "hdf5"])
    #expect(inside.refused("is inside the export folder \(out)"), "\(inside.standardError)")
  }

  /// No command writes a file inside an export folder, which a later --force would refuse to
  /// replace (or, before the check, delete): not a write-back of the folder itself, a synthetic
  /// checkpoint, a run's or classify's output, or a batch's report.
  @Test func noOutputLandsInsideAnExportFolder() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let out = dir.file("out")
    #expect(try CommandRunner.run([source, out, "--quiet"]).status == 0)
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny_fe"), dir.file("fe"), "--quiet"]).status == 0)
    let before = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    for arguments in [
      [out, out + "/back.npz"],
      ["synth", "Mixer-S_32", out + "/s.npz", "--classes", "10"],
      ["run", dir.file("fe"), "--input", Fixtures.path("mixer_tiny", "input.npy"), "--output", out + "/r.npy"],
      ["classify", dir.file("fe"), ClassifyCommandTests.image("rgb64.png"), "--output", out + "/e.npy"],
      ["convert-all", source, "--out-dir", dir.file("batch"), "--report", out + "/r.jsonl"],
    ] {
      let result = try CommandRunner.run(arguments)
      #expect(result.refused("is inside the export folder \(out)"), "\(arguments[0]): \(result.standardError)")
    }
    // Named relatively, the export folder is named as the user named it.
    let relative = try CommandRunner.run(["convert-all", source, "--out-dir", "out/batch"], directory: dir.path)
    #expect(relative.standardError.contains(": is inside the export folder out, "), "\(relative.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == before)
    #expect(try CommandRunner.run([source, out, "--force", "--quiet"]).status == 0, "still replaceable")
  }

  /// A file put into the old export folder while --force writes the new one is not deleted
  /// with the old folder at the commit: the exchange (held up 3 s by strace at its entry) is
  /// undone and the run refused, the file and the old export kept.
  @Test(.enabled(if: FaultInjectionTests.strace != nil, "strace is not installed (make test installs it)"))
  func aFilePutIntoTheOldExportDuringTheRunSurvivesTheCommit() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let out = dir.file("out")
    #expect(try CommandRunner.run([source, out, "--quiet", "--variant", "features"]).status == 0)
    let before = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    let refused = try Self.putNotes(
      into: out, whileConverting: source, injecting: ["renameat2:delay_enter=3000000:when=1"])
    #expect(refused.refused("but also holds notes.txt, not part of the export"), "\(refused.standardError)")
    #expect(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8) == "keep")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == (before + ["notes.txt"]).sorted())
    #expect(FaultInjectionTests.variant(out) == "features", "the old export, whole")
    #expect(dir.contents() == ["out"], "no temporary or lock left")
  }

  /// Killed between the exchange that displaced the old export and the one that puts it back
  /// (a file had been put into it), the old export and that file stay under the temporary's
  /// name: the next run in the folder does not take them for a leftover, and says so.
  @Test(.enabled(if: FaultInjectionTests.strace != nil, "strace is not installed (make test installs it)"))
  func aKillBetweenTheTwoExchangesKeepsTheOldExport() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let out = dir.file("out")
    #expect(try CommandRunner.run([source, out, "--quiet", "--variant", "features"]).status == 0)
    // The fourth fsync is the new folder's, right before the exchange; the second renameat2
    // (the exchange back) is killed as it is entered.
    let result = try Self.putNotes(
      into: out, whileConverting: source,
      injecting: ["fsync:delay_enter=3000000:when=4", "renameat2:signal=KILL:when=2"])
    #expect(result.signaled, "killed between the exchanges")
    let beside = try CommandRunner.run([source, dir.file("other"), "--quiet"])
    #expect(beside.status == 0, "a run beside it")
    let kept = try #require(dir.contents().first { $0.hasPrefix(".out.tmp-") }, "\(dir.contents())")
    #expect(
      beside.standardError.contains(
        "mixer-convert: warning: \(dir.file(kept)) is kept: a run killed while it replaced \(out) left what was "
          + "there before"), "the run beside it says what it kept: \(beside.standardError)")
    #expect(try String(contentsOfFile: dir.file(kept + "/notes.txt"), encoding: .utf8) == "keep")
    #expect(FaultInjectionTests.variant(dir.file(kept)) == "features", "the old export, whole, beside it")
    #expect(FaultInjectionTests.variant(out) == "classification", "the new export in place, whole")
  }

  /// Converts `source` over the export `out` with `--force` through strace with `injections`
  /// (each one `-e inject=…`, holding the commit), and writes `notes.txt` into `out` once the
  /// new export's temporary holds its graph.json (written last, just before the commit).
  static func putNotes(
    into out: String, whileConverting source: String, injecting injections: [String]
  ) throws
    -> CommandResult
  {
    let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
    let prefix = ".\(URL(fileURLWithPath: out).lastPathComponent).tmp-"
    let finished = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: CommandResult?
    DispatchQueue.global().async {
      result = try? CommandRunner.run(
        [source, out, "--force"],
        prefix: [FaultInjectionTests.strace!, "-f", "-qq", "-o", "/dev/null"]
          + injections.flatMap { ["-e", "inject=" + $0] })
      finished.signal()
    }
    let deadline = Date().addingTimeInterval(60)
    func temporaryHoldsGraph() -> Bool {
      ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains {
        $0.hasPrefix(prefix) && FileManager.default.fileExists(atPath: folder + "/" + $0 + "/graph.json")
      }
    }
    while !temporaryHoldsGraph() && Date() < deadline { usleep(5000) }
    try "keep".write(toFile: out + "/notes.txt", atomically: false, encoding: .utf8)
    finished.wait()
    return try #require(result)
  }

  /// An export folder its user cannot write is not replaced: its old files could not be
  /// removed and would stay behind beside the new export. (Run as nobody: root writes anyway.)
  @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
  func anExportFolderTheUserCannotWriteIsNotReplaced() throws {
    let dir = TemporaryDirectory()
    chmod(dir.path, 0o777)
    let source = Fixtures.path("mixer_tiny")
    let out = dir.file("out")
    let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    let first = try CommandRunner.run([source, out, "--quiet"], prefix: asNobody)
    #expect(first.status == 0, "\(first.standardError)")
    let before = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    chmod(out, 0o555)
    let refused = try CommandRunner.run([source, out, "--force"], prefix: asNobody)
    #expect(
      refused.refused("is a folder whose files you cannot remove (it is not writable)"), "\(refused.standardError)")
    #expect(dir.contents() == ["out"], "no displaced folder left beside it")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == before)
    chmod(out, 0o755)
    #expect(try CommandRunner.run([source, out, "--force", "--quiet"], prefix: asNobody).status == 0)
    #expect(dir.contents() == ["out"])
    // Root's export: in a folder of root's, or one open to all but sticky (mode 1777, where
    // only a file's owner removes it).
    let roots = dir.file("roots")
    #expect(try CommandRunner.run([source, roots, "--quiet"]).status == 0)
    for (mode, reason) in [
      (0o755, "it belongs to another user"), (0o1777, "its sticky bit keeps files of other users"),
    ] {
      chmod(roots, mode_t(mode))
      let refusedAgain = try CommandRunner.run([source, roots, "--force"], prefix: asNobody)
      #expect(
        refusedAgain.refused("is a folder whose files you cannot remove (\(reason))"), "\(refusedAgain.standardError)")
      #expect(dir.contents() == ["out", "roots"])
    }
  }

  /// run and classify never write into the export they read, nor over its ONNX data file.
  @Test func outputsInsideTheExportBeingReadAreRefused() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let input = Fixtures.path("mixer_tiny", "input.npy")
    #expect(try CommandRunner.run([source, dir.file("b"), "--quiet"]).status == 0)
    let graph = try Data(contentsOf: URL(fileURLWithPath: dir.file("b/graph.json")))
    for output in [dir.file("b/graph.json"), dir.file("b/new.npy")] {
      let result = try CommandRunner.run(["run", dir.file("b"), "--input", input, "--output", output, "--force"])
      #expect(result.refused("is inside the input"), "\(result.standardError)")
    }
    let classify = try CommandRunner.run([
      "classify", dir.file("b"), Fixtures.directory + "/images/rgb8.png", "--output", dir.file("b/f.npy"), "--force",
    ])
    #expect(classify.refused("is inside the input"), "\(classify.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("b/graph.json"))) == graph)
    #expect(!FileManager.default.fileExists(atPath: dir.file("b/new.npy")))
    #expect(try CommandRunner.run([source, dir.file("e.onnx"), "--external-data", "--quiet"]).status == 0)
    let data = try #require(dir.contents().first { $0.hasPrefix("e.onnx.") && $0.hasSuffix(".data") })
    let before = try Data(contentsOf: URL(fileURLWithPath: dir.file(data)))
    let overData = try CommandRunner.run([
      "run", dir.file("e.onnx"), "--input", input, "--output", dir.file(data), "--force",
    ])
    #expect(overData.refused("is the input"), "\(overData.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file(data))) == before)
  }

  /// An ONNX model with external data replaced by an inline one leaves no data file behind. One
  /// that fails its verification before its commit (its staged data file read where it is
  /// staged) commits neither file, leaving the old model and data as they were.
  @Test func replacingAnONNXModelRemovesItsOldDataFile() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    #expect(try CommandRunner.run([source, dir.file("e.onnx"), "--external-data", "--quiet"]).status == 0)
    #expect(dir.contents().count == 2)
    let before = try dir.contents().map { try Data(contentsOf: URL(fileURLWithPath: dir.file($0))) }
    let drifting = try CommandRunner.run([
      Fixtures.path("vit_tiny_token"), dir.file("e.onnx"), "--external-data", "--force", "--verify", "--atol", "0",
      "--rtol", "0",
    ])
    #expect(drifting.status == 1 && drifting.standardError.contains("not written"), "\(drifting.standardError)")
    #expect(try dir.contents().map { try Data(contentsOf: URL(fileURLWithPath: dir.file($0))) } == before)
    #expect(try CommandRunner.run(["verify", source, dir.file("e.onnx"), "--quiet"]).status == 0)
    #expect(try CommandRunner.run([source, dir.file("e.onnx"), "--force", "--quiet"]).status == 0)
    #expect(dir.contents() == ["e.onnx"])
  }

  /// A name whose suffix claims another format is refused; an ONNX file under a name of its
  /// own is written and read back.
  @Test func outputNamesMatchTheirFormat() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    for (name, format) in [("x.onnx", "hdf5"), ("x.h5", "onnx"), ("x.npz", "onnx")] {
      let result = try CommandRunner.run([source, dir.file(name), "--format", format])
      #expect(result.refused("its suffix names"), "\(name): \(result.standardError)")
    }
    #expect(dir.contents().isEmpty)
    #expect(try CommandRunner.run([source, dir.file("model.pt"), "--format", "onnx", "--quiet"]).status == 0)
    let input = Fixtures.path("mixer_tiny", "input.npy")
    let run = try CommandRunner.run(["run", dir.file("model.pt"), "--input", input, "--output", dir.file("o.npy")])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(try CommandRunner.run(["verify", source, dir.file("model.pt")]).status == 0)
  }

  /// A batch export that drifts is not written (it is verified before its commit) and is
  /// reported with its drift, so a rerun converts it again (and fails again) instead of
  /// skipping it as up to date; an export `--force` would replace stays as it was, unmarked.
  @Test func aBatchExportThatDriftsIsNotWrittenAndRetried() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    try FileManager.default.createDirectory(atPath: dir.file("in"), withIntermediateDirectories: false)
    let scale = try #require(try NpzFile(path: source).arrays.first { $0.key.hasSuffix("LayerNorm_1/scale") })
    let count = scale.shape.reduce(1, *)
    try CheckpointRewriter.rewrite(
      source, to: dir.file("in/nan.npz"),
      replace: [scale.key: .init(shape: scale.shape, values: .init(repeating: .nan, count: count))])
    for run in 1...2 {
      let result = try CommandRunner.run([
        "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--verify", "--report", dir.file("r.jsonl"),
      ])
      #expect(result.status == 2)
      #expect(Self.counted("failed", 1, in: result.standardOutput), "\(result.standardOutput)")
      #expect(
        result.standardError.contains(
          "verification failed: the outputs are not finite, as the checkpoint's weights hold NaN or infinity"),
        "\(result.standardError)")
      #expect(result.standardError.contains("the export was not written"), "\(result.standardError)")
      #expect(
        result.standardError.contains("the checkpoint's weights hold NaN or infinity (\(scale.key)"),
        "the cause is named: \(result.standardError)")
      #expect(!FileManager.default.fileExists(atPath: dir.file("out")), "nothing written, no folder left")
      let records = try String(contentsOfFile: dir.file("r.jsonl"), encoding: .utf8).split(separator: "\n")
      #expect(records.count == run, "the report is appended to")
      #expect(records.allSatisfy { $0.contains("\"verified\":false") && $0.contains("\"logits\":\"inf\"") })
    }
    // A healthy export where the drifting one would go, which --force would replace.
    try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
    #expect(try CommandRunner.run([source, dir.file("out/nan"), "--quiet"]).status == 0)
    let kept = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/nan/graph.json")))
    let forced = try CommandRunner.run([
      "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--verify", "--force",
    ])
    #expect(forced.status == 2, "\(forced.standardError)")
    #expect(
      forced.standardError.contains("; the export was not written (the one there before stays as it was)"),
      "\(forced.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("out/nan/graph.json"))) == kept)
    #expect(try CommandRunner.run(["verify", source, dir.file("out/nan"), "--quiet"]).status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")) == ["nan"], "no mark, no temporary")
    // verify names the weights the original's NaN comes from; a healthy checkpoint names none.
    #expect(try CommandRunner.run([dir.file("in/nan.npz"), dir.file("nan"), "--quiet"]).status == 0)
    let verify = try CommandRunner.run(["verify", dir.file("in/nan.npz"), dir.file("nan"), "--json"])
    let named = try verify.jsonObject()["non_finite_weights"] as? [String]
    #expect(verify.status == 1 && named == [scale.key])
    #expect(try CommandRunner.run([source, dir.file("ok"), "--quiet"]).status == 0)
    let healthy = try CommandRunner.run(["verify", source, dir.file("ok"), "--json"])
    let none = try healthy.jsonObject()["non_finite_weights"] as? [String]
    #expect(healthy.status == 0 && none == [])
  }

  /// A batch names each checkpoint from the path given (a folder or list given relatively
  /// keeps its checkpoints relative, in the summary and the report), and leaves no folder it
  /// made for an output that failed.
  @Test func aBatchKeepsPathsAsGivenAndNoFolderOfAFailure() throws {
    let dir = TemporaryDirectory()
    let files = FileManager.default
    for folder in ["in/good/deep", "in/bad/deep"] {
      try files.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: true)
    }
    try files.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: dir.file("in/good/deep/m.npz"))
    try "hello".write(toFile: dir.file("in/bad/deep/x.npz"), atomically: true, encoding: .utf8)
    // A byte-order mark before the first name is no part of it, nor one starting a later line
    // (a second list joined with cat, here starting with a comment).
    try "\u{FEFF}good/deep/m.npz\n\u{FEFF}# more\n".write(
      toFile: dir.file("in/list.txt"), atomically: true, encoding: .utf8)
    func records(_ report: String) throws -> [[String: Any]] {
      try String(contentsOfFile: dir.file(report), encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
      }
    }
    func inputs(_ report: String) throws -> [String] { try records(report).map { $0["input"] as! String } }
    let result = try CommandRunner.run(
      ["convert-all", "in", "--out-dir", "out", "--keep-going", "--report", "r.jsonl"], directory: dir.path)
    #expect(result.status == 2, "\(result.standardError)")
    #expect(try inputs("r.jsonl").sorted() == ["in/bad/deep/x.npz", "in/good/deep/m.npz"])
    #expect(try records("r.jsonl").allSatisfy { ($0["output"] as! String).hasPrefix("out/") }, "relative outputs too")
    #expect(result.standardOutput.contains("in/bad/deep/x.npz") && !result.standardOutput.contains(dir.path))
    #expect(!files.fileExists(atPath: dir.file("out/bad")), "the folders made for the failure are removed")
    #expect(files.fileExists(atPath: dir.file("out/good/deep/m/graph.json")))
    let listed = try CommandRunner.run(
      ["convert-all", "in/list.txt", "--out-dir", "listed", "--report", "l.jsonl"], directory: dir.path)
    let listedInputs = try inputs("l.jsonl")
    #expect(listed.status == 0 && listedInputs == ["in/good/deep/m.npz"], "\(listed.standardError)")
  }

  /// An output a rerun cannot skip says why: made with other options, or from another file.
  @Test func aBatchSaysWhyAnExistingOutputIsNotUpToDate() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    try FileManager.default.createDirectory(atPath: dir.file("in"), withIntermediateDirectories: false)
    let head = try #require(try NpzFile(path: source).arrays.first { $0.key == "head/bias" })
    func write(_ value: Float, to name: String) throws {
      let values = [Float](repeating: value, count: head.shape.reduce(1, *))
      try CheckpointRewriter.rewrite(
        source, to: dir.file(name), replace: ["head/bias": .init(shape: head.shape, values: values)])
    }
    try write(0.5, to: "in/m.npz")
    let batch = ["convert-all", dir.file("in"), "--out-dir", dir.file("out")]
    #expect(try CommandRunner.run(batch + ["--quiet"]).status == 0)
    let options = try CommandRunner.run(batch + ["--dtype", "float16"])
    #expect(options.status == 2)
    #expect(
      options.standardError.contains(
        "\(dir.file("out/m")): already exists but was made with dtype float32, not float16; pass --force to "
          + "replace it"), "\(options.standardError)")
    let shards = try CommandRunner.run(batch + ["--shard-size", "1KB"])
    #expect(
      shards.standardError.contains("was made with shard size 2GiB, not 1KB; pass --force"),
      "\(shards.standardError)")
    try write(0.25, to: "in/m.npz")  // the same size, other bytes
    let source2 = try CommandRunner.run(batch)
    #expect(
      source2.standardError.contains("already exists but was converted from another file"), "\(source2.standardError)")
    #expect(try CommandRunner.run(batch + ["--force", "--quiet"]).status == 0)
    #expect(try CommandRunner.run(batch + ["--json"]).jsonObject()["skipped"] as? Int == 1)
  }

  /// A batch takes each checkpoint once, refuses two
  /// checkpoints that would write one output before converting either, and leaves no folder
  /// behind when it converted nothing.
  @Test func aBatchPlansItsInputsAndOutputsBeforeConverting() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    for folder in ["in", "in/a", "in/b"] {
      try FileManager.default.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: false)
    }
    try FileManager.default.copyItem(atPath: source, toPath: dir.file("in/a/m.npz"))
    try FileManager.default.copyItem(atPath: source, toPath: dir.file("in/b/m.npz"))
    let clash = try CommandRunner.run([
      "convert-all", dir.file("in/a"), dir.file("in/b"), "--out-dir", dir.file("out"),
    ])
    #expect(clash.refused("would be the output of both \(dir.file("in/a/m.npz")) and"), "\(clash.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    try FileManager.default.removeItem(atPath: dir.file("in/b"))
    // The same checkpoint found twice, twice over: converted once, then skipped.
    for expected in ["converted", "skipped (up to date)"] {
      let result = try CommandRunner.run([
        "convert-all", dir.file("in"), dir.file("in/a/m.npz"), "--out-dir", dir.file("in/out"), "--format", "hdf5",
      ])
      #expect(result.status == 0 && result.standardOutput.contains("1 checkpoint in"), "\(result.standardError)")
      #expect(Self.counted(expected, 1, in: result.standardOutput), "\(result.standardOutput)")
    }
    // x.npz beside x/y.npz: the export folder x would hold y's, so a folder format is refused;
    // files (x.h5 beside the folder x) do not nest.
    try FileManager.default.createDirectory(atPath: dir.file("nest/x"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: source, toPath: dir.file("nest/x.npz"))
    try FileManager.default.copyItem(atPath: source, toPath: dir.file("nest/x/y.npz"))
    let nested = try CommandRunner.run(["convert-all", dir.file("nest"), "--out-dir", dir.file("nest-out")])
    let inside = "the output of \(dir.file("nest/x/y.npz")) would be inside \(dir.file("nest/x.npz"))'s export folder"
    #expect(nested.refused(inside), "\(nested.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("nest-out")))
    let files = try CommandRunner.run([
      "convert-all", dir.file("nest"), "--out-dir", dir.file("nest-out"), "--format", "hdf5", "--quiet",
    ])
    #expect(files.status == 0, "\(files.standardError)")

    // A list entry that climbs out of the list's folder would be exported outside --out-dir
    // (over another export, with --force): refused before anything is converted.
    try FileManager.default.createDirectory(atPath: dir.file("lists"), withIntermediateDirectories: false)
    try "filename\n../in/a/m\n".write(toFile: dir.file("lists/index.csv"), atomically: true, encoding: .utf8)
    let climbing = try CommandRunner.run([
      "convert-all", dir.file("lists/index.csv"), "--out-dir", dir.file("o"), "--force",
    ])
    #expect(climbing.refused("names ../in/a/m, which leads out of the list's folder"), "\(climbing.standardError)")
    #expect(
      !FileManager.default.fileExists(atPath: dir.file("o"))
        && !FileManager.default.fileExists(atPath: dir.file("in/a/m")))
    try "a/../../in/a/m.npz\n./sub/../x.npz\n".write(toFile: dir.file("lists/l.txt"), atomically: true, encoding: .utf8)
    #expect(
      try CommandRunner.run(["convert-all", dir.file("lists/l.txt"), "--out-dir", dir.file("o")]).refused(
        "names a/../../in/a/m.npz, which leads out"))
    try "filename,note\nin/a/m,\"open\n".write(toFile: dir.file("lists/q.csv"), atomically: true, encoding: .utf8)
    #expect(
      try CommandRunner.run(["convert-all", dir.file("lists/q.csv"), "--out-dir", dir.file("o")]).refused(
        "q.csv: row 2 has a quote that does not close on its line"))
    let empty = try CommandRunner.run(["convert-all", dir.file("in/out"), "--out-dir", dir.file("o")])
    #expect(empty.refused("found no .npz checkpoint in"), "\(empty.standardError)")
    let npz = try CommandRunner.run(["convert-all", dir.file("in"), "--out-dir", dir.file("o"), "--format", "npz"])
    #expect(npz.refused("an .npz records none"), "\(npz.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("o")))
  }

  /// `--force` replaces files and folders only: a device or a FIFO under the output's name is
  /// refused (as root, renaming over /dev/null would replace the device), and a file output
  /// whose path ends in `/` is refused rather than written as a file.
  @Test func onlyFilesAndFoldersAreReplaced() throws {
    let dir = TemporaryDirectory()
    let export = dir.file("b")
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), export, "--quiet"]).status == 0)
    #expect(mkfifo(dir.file("fifo"), 0o644) == 0)
    var specials = [("fifo", "a FIFO", S_IFIFO)]
    if getuid() == 0, mknod(dir.file("null"), S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 {
      specials.append(("null", "a device", S_IFCHR))
    }
    let input = Fixtures.path("mixer_tiny", "input.npy")
    for (name, noun, kind) in specials {
      let path = dir.file(name)
      for arguments in [
        ["run", export, "--input", input, "--output", path, "--force"],
        ["synth", "Mixer-S_32", path, "--classes", "0", "--force"],
        [Fixtures.path("mixer_tiny"), path, "--format", "hdf5", "--force"],
      ] {
        let result = try CommandRunner.run(arguments)
        #expect(
          result.refused("\(path): is \(noun), not a file an output can replace"),
          "\(arguments): \(result.standardError)")
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == kind, "\(name) is left as it was")
      }
    }
    let slash = try CommandRunner.run(["run", export, "--input", input, "--output", dir.file("new") + "/"])
    #expect(slash.refused("ends with /, which names a folder, but this output is a file"), "\(slash.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("new")))
  }

  /// convert-all appends its report: pointed at one of the checkpoints, it is refused before
  /// anything is written, and the checkpoint is left byte for byte.
  @Test func aBatchReportNeverLandsOnACheckpoint() throws {
    let dir = TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("in"), withIntermediateDirectories: false)
    try FileManager.default.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: dir.file("in/a.npz"))
    let before = try Data(contentsOf: URL(fileURLWithPath: dir.file("in/a.npz")))
    let result = try CommandRunner.run([
      "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--report", dir.file("in/a.npz"),
    ])
    #expect(result.refused("is the input \(dir.file("in/a.npz"))"), "\(result.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("in/a.npz"))) == before)
    #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    // Nor on the list that names them, nor as a folder; a FIFO nobody reads is refused, not waited on.
    try "in/a\n".write(toFile: dir.file("list.txt"), atomically: true, encoding: .utf8)
    let onList = try CommandRunner.run([
      "convert-all", dir.file("list.txt"), "--out-dir", dir.file("out"), "--report", dir.file("list.txt"),
    ])
    #expect(onList.refused("is the input \(dir.file("list.txt"))"), "\(onList.standardError)")
    #expect(try String(contentsOfFile: dir.file("list.txt"), encoding: .utf8) == "in/a\n")
    let slash = try CommandRunner.run([
      "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--report", dir.file("r/"),
    ])
    #expect(slash.refused("ends with /, which names a folder, but the report is a file"), "\(slash.standardError)")
    #expect(mkfifo(dir.file("fifo"), 0o644) == 0)
    let fifo = try CommandRunner.run([
      "convert-all", dir.file("in"), "--out-dir", dir.file("out"), "--report", dir.file("fifo"),
    ])
    #expect(fifo.refused("cannot open the report file: it is a FIFO nobody reads"), "\(fifo.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
  }

  /// Usage mistakes get a one-line answer that names the cause.
  @Test func usageMistakesAreNamed() throws {
    let dir = TemporaryDirectory()
    try "x".write(toFile: dir.file("afile"), atomically: true, encoding: .utf8)
    let cases: [([String], String)] = [
      (["inspct", "x"], "'inspct' is not a command (nor a file); did you mean 'inspect'?"),
      (["help", "nosuch"], "'nosuch' is not a command; the commands are convert, convert-all, verify"),
      ([Fixtures.path("mixer_tiny"), ""], "argument 2 is empty (an unset shell variable?)"),
      ([Fixtures.path("mixer_tiny"), dir.file("x.onnx") + "/"], "give a file name (e.g. \(dir.file("x.onnx")))"),
      ([Fixtures.path("mixer_tiny"), dir.file("x") + "/", "--format", "onnx"], "(e.g. \(dir.file("x.onnx")))"),
      (["verify", "a.npz", "b", "--atol", "nan"], "--atol must be a finite number"),
      (["verify", "a.npz", "b", "--rtol", "inf"], "--rtol must be a finite number"),
      (["convert-all", Fixtures.path("mixer_tiny"), "--out-dir", dir.file("afile")], "is a file, not a folder"),
      (["convert-all", Fixtures.path("mixer_tiny"), "--out-dir", dir.file("afile/sub")], "is a file, not a folder"),
      (["convert-all", "x", "--out-dir", dir.file("o"), "--shard", "-1/2"], "--shard -1/2: negative values"),
      // argument-parser would read -zh.npz as short flags, -h among them, and print the help.
      (["-zh.npz", "out"], "'-zh.npz' is not an option (the only short one is -h); a path that starts with '-' goes"),
      (["info", "-zh"], "'-zh' is not an option"),
      (["-1h.npz", "out"], "'-1h.npz' is not an option"),
      (["verify", "a.npz", "b", "--atol", "-inf"], "a value that starts with '-' is written --atol=-inf"),
      (["--json", "verify", "a.npz", "b"], "'verify' is a command: put it first, before its options"),
    ]
    for (arguments, fragment) in cases {
      let result = try CommandRunner.run(arguments)
      #expect(result.refused(fragment), "\(arguments): \(result.standardError)")
    }
    // After --, a path that starts with '-' is a path.
    try FileManager.default.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: dir.file("-zh.npz"))
    let dashed = try CommandRunner.run(["--quiet", "--", "-zh.npz", "out"], directory: dir.path)
    #expect(
      dashed.status == 0 && FileManager.default.fileExists(atPath: dir.file("out/graph.json")),
      "\(dashed.standardError)")
    #expect(try CommandRunner.run(["-h"]).standardOutput.contains("USAGE: mixer-convert"))
    // After a flag, no value is suggested; before a command's name, help is that command's.
    let afterFlag = try CommandRunner.run(["--quiet", "-zh.npz", "out"])
    #expect(afterFlag.refused("'-zh.npz' is not an option") && !afterFlag.standardError.contains("--quiet="))
    let helpFirst = try CommandRunner.run(["--help", "verify"])
    #expect(helpFirst.status == 0 && helpFirst.standardOutput.contains("USAGE: mixer-convert verify"))
    let help = try CommandRunner.run(["convert-all", "--help"])
    #expect(help.status == 0 && !help.standardOutput.split(separator: "\n").contains { $0.hasSuffix("\\") })
    let words = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(words.contains("npz (convert only)"), "the format convert-all refuses is marked: \(help.standardOutput)")
    let helpOnCommand = try CommandRunner.run(["help", "verify"])
    #expect(helpOnCommand.status == 0 && helpOnCommand.standardOutput.contains("USAGE: mixer-convert verify"))
  }

  /// Whether the summary table of convert-all counts `count` on the row `row`.
  static func counted(_ row: String, _ count: Int, in text: String) -> Bool {
    text.split(separator: "\n").contains {
      $0.trimmingCharacters(in: .whitespaces).hasPrefix(row + " ") && $0.hasSuffix(" \(count)")
    }
  }
}
