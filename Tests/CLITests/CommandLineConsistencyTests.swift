import Foundation
import TestSupport
import Testing

/// One command line: every error one `mixer-convert: error:` line with exit status 2 (and JSON
/// with --json), the same run options on every command that runs a model, helpful refusals.
@Suite struct CommandLineConsistencyTests {
  private func oneLineError(_ arguments: [String], _ fragment: String) throws {
    let result = try CommandRunner.run(arguments)
    let lines = result.standardError.split(separator: "\n")
    #expect(
      result.status == 2 && lines.count == 1 && lines[0].hasPrefix("mixer-convert: error: ")
        && result.standardError.contains(fragment), "\(arguments): \(result.status) \(result.standardError)")
  }

  @Test func parserErrorsAreOneLineWithTheReason() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    try oneLineError([source, dir.file("o"), "--dtype", "int8"], "'int8' is invalid for '--dtype")
    try oneLineError([], "Missing expected argument '<checkpoint>' (mixer-convert --help shows the usage)")
    try oneLineError(["run"], "Missing expected argument '<export>' (mixer-convert run --help shows the usage)")
    let huge = "99999999999999999999"
    try oneLineError([source, dir.file("o"), "--image-size", huge], "--image-size \(huge): too large a number")
    try oneLineError([source, dir.file("o"), "--dtype", "x1"], "'x1' is invalid for '--dtype")
    try oneLineError(["classify", dir.file("o"), "x.jpg", "--top", "0"], "--top must be at least 1")
    // Less than a byte is too small, hex or infinite no size, 1 EB too large; TB is a unit.
    for size in ["0", "0.4", "1e-3"] {
      try oneLineError([source, dir.file("o"), "--shard-size", size], "give a size of at least one byte")
    }
    for size in ["0x100", "inf", "12 parsecs"] {
      try oneLineError([source, dir.file("o"), "--shard-size", size], "give a decimal number of bytes")
    }
    for size in ["9223372036854775807", "1e18", "8000000TB"] {
      try oneLineError([source, dir.file("o"), "--shard-size", size], "too large: a shard holds less than 1 EB")
    }
    try oneLineError(
      [Fixtures.path("vit_tiny_token"), dir.file("o"), "--image-size", "-5"],
      "--image-size -5: negative values are not accepted")
    try oneLineError(["verify", source, dir.file("o"), "--rtol", "-0"], "--rtol -0: write zero without its sign")
    try oneLineError(
      ["run", dir.file("o"), "--input", "x.npy", "--output", "y.npy", "--threads", "0"],
      "--threads must be between 1 and")
    try oneLineError(["verify", source, dir.file("o"), "--quiet", "--json"], "--quiet and --json exclude each other")
    // The input file sets its own batch: a --batch or --seed beside it would be ignored.
    for flag in ["--batch", "--seed"] {
      try oneLineError(
        ["verify", source, dir.file("o"), "--input", "x.npy", flag, "4"],
        "\(flag) describes generated inputs; it cannot be combined with --input")
    }
    #expect(dir.contents().isEmpty)
  }

  /// What cannot apply is refused in one line rather than ignored: a folder format under a
  /// file format's suffix, a pooling an .npz checkpoint cannot record, skipping the checksums
  /// of an export being written back; classify names an export that has no single prediction.
  @Test func whatCannotApplyIsRefused() throws {
    let dir = TemporaryDirectory()
    let vit = Fixtures.path("vit_tiny_token")
    for (name, format, noun) in [("y.npz", "bundle", "an npz checkpoint"), ("x.h5", "transformers", "an HDF5 file")] {
      try oneLineError([vit, dir.file(name), "--format", format], "\(name): its suffix names \(noun), not ")
    }
    try oneLineError(
      [vit, dir.file("v.npz"), "--classifier", "token_unpooled"], "--classifier says how an export pools")
    #expect(try CommandRunner.run([vit, dir.file("b"), "--quiet"]).status == 0)
    try oneLineError([dir.file("b"), dir.file("b.npz"), "--no-checksum"], "--no-checksum does not apply to writing")
    for flag in [["--threads", "2"], ["--no-checksum"]] {
      try oneLineError([vit, dir.file("t")] + flag, "\(flag[0]) applies with --verify")
      try oneLineError(["convert-all", vit, "--out-dir", dir.file("t")] + flag, "\(flag[0]) applies with --verify")
    }
    for flag in [["--rtol", "1e-4"], ["--seed", "3"], ["--input", "x.npy"]] {
      try oneLineError([vit, dir.file("t")] + flag, "\(flag[0]) applies with --verify")
      try oneLineError(
        [dir.file("b"), dir.file("b.npz")] + flag, "\(flag[0]) applies to converting a checkpoint, not to writing")
    }
    try oneLineError(
      [vit, dir.file("t"), "--verify", "--input", "x.npy", "--seed", "1"], "cannot be combined with --input")
    try oneLineError([dir.file("b"), dir.file("b.npz"), "--threads", "1"], "--threads does not apply to writing")
    let input = Fixtures.path("vit_tiny_token", "input.npy")
    try oneLineError(
      ["run", dir.file("b"), "--input", input, "--output", dir.file("o.h5")],
      "o.h5: its suffix names an HDF5 file, but run writes a .npy array")
    try oneLineError(
      ["run", dir.file("b"), "--input", input, "--output", dir.file("o.safetensors")],
      "o.safetensors: its suffix is not .npy, but run writes a .npy array")
    try oneLineError(
      ["classify", dir.file("b"), ClassifyCommandTests.image("rgb64.png"), "--output", dir.file("e.onnx")],
      "e.onnx: its suffix names an ONNX file, but classify writes a .npy array")
    #expect(
      try CommandRunner.run([vit, dir.file("u"), "--classifier", "token_unpooled", "--quiet"]).status == 0)
    try oneLineError(
      ["classify", dir.file("u"), ClassifyCommandTests.image("rgb64.png")],
      "\(dir.file("u")): classifies every token (its logits are [N, 17, 10]); classify needs one prediction per image")
    #expect(dir.contents().sorted() == ["b", "u"])
  }

  /// Output nobody receives is a failure: a result printed to a full disk exits with status 2
  /// and says so, as a report that cannot be written does (the batch goes on, its report is
  /// left whole lines).
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
  func resultsThatCannotBeWrittenFailTheCommand() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    for arguments in [["inspect", source, "--json"], ["info"], ["--version"]] {
      let result = try CommandRunner.run(arguments, prefix: ["/bin/sh", "-c", "exec \"$0\" \"$@\" > /dev/full"])
      #expect(
        result.status == 2 && result.standardError.contains("standard output: cannot write the result"),
        "\(arguments): \(result.status) \(result.standardError)")
    }
    let report = try CommandRunner.run([
      "convert-all", source, "--out-dir", dir.file("out"), "--report", "/dev/full", "--quiet",
    ])
    #expect(report.status == 2, "\(report.standardError)")
    #expect(report.standardError.hasPrefix("mixer-convert: error: /dev/full: cannot write the report (No space left"))
    #expect(report.standardError.split(separator: "\n").count == 1, "one line, no backtrace")
    #expect(FileManager.default.fileExists(atPath: dir.file("out/params")), "the batch went on")
    let json = try CommandRunner.run([
      "convert-all", source, "--out-dir", dir.file("out2"), "--report", "/dev/full", "--json",
    ])
    let error = try json.jsonObject()["error"] as? String
    #expect(
      json.status == 2 && error?.hasPrefix("/dev/full: cannot write the report") == true, "\(json.standardOutput)")
  }

  @Test func errorsAreJSONWithJSON() throws {
    let result = try CommandRunner.run(["verify", Fixtures.path("mixer_tiny"), "/nonexistent/export", "--json"])
    let error = try result.jsonObject()["error"] as? String
    #expect(result.status == 2 && error?.contains("/nonexistent/export") == true)
    let usage = try CommandRunner.run(["convert", Fixtures.path("mixer_tiny"), "/tmp/x", "--dtype", "int8", "--json"])
    let usageError = try usage.jsonObject()["error"] as? String
    #expect(usage.status == 2 && usageError?.contains("int8") == true)
    // JSON carries the path as it is (JSON escapes its control characters itself); the
    // terminal line shows them escaped once.
    let odd = "/nonexistent/a\nb\u{1b}c"
    let control = try CommandRunner.run(["verify", Fixtures.path("mixer_tiny"), odd, "--json"])
    let controlError = try control.jsonObject()["error"] as? String
    #expect(controlError?.contains(odd) == true, "\(controlError ?? "")")
    #expect(control.standardError.contains("/nonexistent/a\\nb\\u{1b}c"), "\(control.standardError)")
  }

  @Test func namesOnStandardOutputCannotSplitALineOrReachTheTerminal() throws {
    let dir = TemporaryDirectory()
    let odd = dir.file("a\nb\u{1b}[31mc")
    let convert = try CommandRunner.run([Fixtures.path("mixer_tiny"), odd])
    let image = dir.file("new\nline.png")
    try FileManager.default.copyItem(atPath: Fixtures.path("images", "rgb64.png"), toPath: image)
    let classify = try CommandRunner.run(["classify", odd, image])
    let run = try CommandRunner.run([
      "run", odd, "--input", Fixtures.path("mixer_tiny", "input.npy"), "--output", odd + ".npy",
    ])
    for (result, shown) in [(convert, "a\\nb\\u{1b}[31mc"), (run, "a\\nb\\u{1b}[31mc"), (classify, "new\\nline.png")] {
      #expect(result.status == 0, "\(result.standardError)")
      #expect(
        result.standardOutput.contains(shown) && !result.standardOutput.contains("\u{1b}")
          && !result.standardOutput.contains("\nb") && !result.standardOutput.contains("\nline"),
        "\(result.standardOutput)")
    }
  }

  @Test func commandsThatRunAModelTakeTheSameOptions() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let input = Fixtures.path("mixer_tiny", "input.npy")
    let common = ["--threads", "1", "--no-checksum"]
    let convert = try CommandRunner.run([source, dir.file("b"), "--verify", "--quiet"] + common)
    #expect(convert.status == 0 && convert.standardOutput.isEmpty, "\(convert.standardError)")
    let run = try CommandRunner.run(
      ["run", dir.file("b"), "--input", input, "--output", dir.file("o.npy"), "--quiet"] + common)
    #expect(run.status == 0 && run.standardOutput.isEmpty, "\(run.standardError)")
    let verify = try CommandRunner.run(["verify", source, dir.file("b"), "--quiet"] + common)
    #expect(verify.status == 0 && verify.standardOutput.isEmpty, "\(verify.standardError)")
    let classify = try CommandRunner.run(
      ["classify", dir.file("b"), Fixtures.path("images", "rgb64.png"), "--json"] + common)
    let results = try classify.jsonObject()["results"]
    #expect(classify.status == 0 && results != nil, "\(classify.standardError)")
    let all = try CommandRunner.run(
      ["convert-all", source, "--out-dir", dir.file("all"), "--verify", "--json"] + common)
    let converted = try all.jsonObject()["ok"] as? Int
    #expect(all.status == 0 && converted == 1, "\(all.standardError)")
  }

  @Test func swappedArgumentsAndFolderNamesGetAHint() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    #expect(try CommandRunner.run([source, dir.file("b"), "--quiet"]).status == 0)
    try oneLineError(["verify", dir.file("b"), source], "the arguments are swapped")
    try oneLineError(["run", source, "--input", "x.npy", "--output", "y.npy"], "is a checkpoint; run takes an export")
    try oneLineError(["classify", source, "x.jpg"], "is a checkpoint; classify takes an export")
    try oneLineError(["verify", source, source], "is a checkpoint; verify compares a checkpoint with an export of it")
    try oneLineError(
      ["run", dir.file("b"), "--input", "x.npy", "--output", "-"], "--output -: run writes a .npy array to a file")
    // A folder that is no export, a parent that is a file, a file named as an export that holds none.
    let empty = dir.file("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
    try oneLineError([empty, dir.file("c")], "empty is a folder that holds no export")
    #expect(FileManager.default.createFile(atPath: dir.file("plain"), contents: Data("x".utf8)))
    try oneLineError([source, dir.file("plain") + "/m.onnx"], "plain is a file, not a folder")
    #expect(FileManager.default.createFile(atPath: dir.file("bad.h5"), contents: Data("not hdf5".utf8)))
    let input = Fixtures.path("mixer_tiny", "input.npy")
    let badFile = dir.file("bad.h5")
    for command in [["inspect", badFile], ["run", badFile, "--input", input, "--output", "y.npy"]] {
      try oneLineError(command, "bad.h5: is named as an HDF5 file, but its content is not one")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("c")) && !FileManager.default.fileExists(atPath: "-"))
    try oneLineError(
      [source, dir.file("out") + "/", "--format", "hdf5"], "names a folder, but hdf5 output is an HDF5 file")
    let doubled = try CommandRunner.run(["verify", source, dir.path + "//missing/"])
    #expect(
      doubled.status == 2 && doubled.standardError.contains(dir.path + "/missing:")
        && !doubled.standardError.contains("//"), "\(doubled.standardError)")
  }

  @Test func helpTeachesAndInfoNamesEveryLibrary() throws {
    for command in ["convert", "convert-all", "verify", "run", "classify", "inspect", "synth", "info"] {
      let help = try CommandRunner.run([command, "--help"])
      #expect(help.status == 0 && help.standardOutput.contains("Examples:"), "\(command)")
    }
    // The commands that read an export name every format they read, timm and transformers too.
    for command in ["verify", "run", "classify", "inspect"] {
      let help = try CommandRunner.run([command, "--help"]).standardOutput.split(whereSeparator: \.isWhitespace)
        .joined(separator: " ")
      #expect(
        help.contains("a bundle folder, an HDF5 file, an ONNX file, a timm folder or a transformers folder"),
        "\(command): \(help)")
    }
    let info = try CommandRunner.run(["info", "--json"])
    let names = (try info.jsonObject()["libraries"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(names == ["libzip", "zlib", "libhdf5", "libjpeg-turbo", "libpng"])
    let filter = try CommandRunner.run(["inspect", Fixtures.path("mixer_tiny"), "--filter", "no/such/*"])
    #expect(filter.status == 0 && filter.standardError.contains("no tensor matches --filter 'no/such/*'"))
  }
}
