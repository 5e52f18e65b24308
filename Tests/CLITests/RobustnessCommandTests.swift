import Checkpoint
import Foundation
import TestSupport
import Testing

/// Issue 13's findings through the command line: each refused in one line with status 2, with
/// nothing written and nothing hanging.
@Suite struct RobustnessCommandTests {
  /// Finding 2: an output that is, or holds, the checkpoint is refused before anything is written.
  @Test func theInputIsNeverTheOutput() throws {
    let dir = TemporaryDirectory()
    let copy = dir.file("copy.npz")
    try FileManager.default.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: copy)
    let before = try Data(contentsOf: URL(fileURLWithPath: copy))
    #expect(try CommandRunner.run([copy, copy, "--format", "hdf5", "--force"]).refused("is the input"))
    try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
    try FileManager.default.moveItem(atPath: copy, toPath: dir.file("out/copy.npz"))
    try FileManager.default.createSymbolicLink(atPath: copy, withDestinationPath: dir.file("out/copy.npz"))
    #expect(try CommandRunner.run([copy, dir.file("out"), "--force"]).refused("holds the input"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before)
    #expect(dir.contents() == ["copy.npz", "out"])
    // run: the output may not be the input batch or the export.
    let input = Fixtures.path("mixer_tiny", "input.npy")
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    try FileManager.default.copyItem(atPath: input, toPath: dir.file("x.npy"))
    #expect(
      try CommandRunner.run([
        "run", dir.file("b"), "--input", dir.file("x.npy"), "--output", dir.file("x.npy"), "--force",
      ])
      .refused("is the input"))
  }

  /// A listed checkpoint whose output folder the system cannot create (a name over its
  /// limits), or whose name cannot be passed to a child process, fails with the system's
  /// reason, not Foundation's error object.
  @Test func anOutputFolderTheSystemRefusesIsNamedWithItsReason() throws {
    let dir = TemporaryDirectory()
    let deep = Array(repeating: String(repeating: "d", count: 200), count: 30).joined(separator: "/")
    try Data((deep + "/x.npz\n").utf8).write(to: URL(fileURLWithPath: dir.file("list.txt")))
    let result = try CommandRunner.run(["convert-all", dir.file("list.txt"), "--out-dir", dir.file("out")])
    #expect(result.status == 2 && !result.signaled)
    #expect(result.standardError.contains("cannot create the folder: File name too long"), "\(result.standardError)")
    #expect(!result.standardError.contains("NSCocoaErrorDomain"))
    // A name longer than one argument may be (128 KiB) cannot be passed to the child.
    try Data((String(repeating: "a", count: 200_000) + ".npz\n").utf8).write(
      to: URL(fileURLWithPath: dir.file("long.txt")))
    let long = try CommandRunner.run(["convert-all", dir.file("long.txt"), "--out-dir", dir.file("out")])
    #expect(long.status == 2 && !long.signaled)
    #expect(long.standardError.contains("cannot start mixer-convert convert: Argument list too long"))
    #expect(!long.standardError.contains("NSCocoaErrorDomain"))
  }

  /// Finding 5: a size from an option is checked before anything is allocated or created.
  @Test func hugeSizesFromOptionsAreRefusedBeforeWriting() throws {
    let dir = TemporaryDirectory()
    let vit = Fixtures.path("vit_tiny_token")
    let result = try CommandRunner.run([vit, dir.file("out"), "--image-size", "100000"])
    #expect(
      result.refused("an image size of 100000 is larger than 4096, the most an export takes (--image-size)"),
      "\(result.standardError)")
    #expect(dir.contents().isEmpty)
    #expect(try CommandRunner.run(["verify", vit, "x", "--batch", "0"]).status == 2)
    #expect(try CommandRunner.run([vit, dir.file("b"), "--quiet"]).status == 0)
    let verify = try CommandRunner.run(["verify", vit, dir.file("b"), "--batch", "1000000000000"])
    #expect(
      verify.refused("needs more memory than can be counted") || verify.refused("to run, more than the"),
      "\(verify.standardError)")
    let run = try CommandRunner.run([
      "run", dir.file("b"), "--input", "x.npy", "--output", "y.npy", "--repeat", "1000000000",
    ])
    #expect(run.status == 2 && run.standardError.contains("--repeat must be from 0 to 100000"))
    let synth = try CommandRunner.run(["synth", "ViT-H_14", dir.file("h.npz"), "--classes", "1000000000000"])
    #expect(synth.status == 2 && synth.standardError.contains("--classes must be from 0 to 100000"))
  }

  /// Finding 9: a FIFO anywhere an input is read is refused at once, whatever reads it.
  @Test func fifosNeverBlockAnyCommand() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let input = Fixtures.path("mixer_tiny", "input.npy")
    #expect(try CommandRunner.run([source, dir.file("good"), "--quiet"]).status == 0)
    #expect(try CommandRunner.run([source, dir.file("good.h5"), "--quiet"]).status == 0)
    #expect(mkfifo(dir.file("fifo"), 0o644) == 0)
    var cases: [[String]] = [
      [dir.file("fifo"), dir.file("out")], ["inspect", dir.file("fifo")],
      ["verify", dir.file("fifo"), dir.file("good")],
      ["verify", source, dir.file("fifo")], ["run", dir.file("fifo"), "--input", input, "--output", dir.file("o.npy")],
      ["run", dir.file("good"), "--input", dir.file("fifo"), "--output", dir.file("o.npy")],
      ["verify", source, dir.file("good"), "--input", dir.file("fifo")],
      ["classify", dir.file("good"), dir.file("fifo")],
      ["classify", dir.file("good"), Fixtures.directory + "/images/baseline444.jpg", "--labels", dir.file("fifo")],
      ["inspect", dir.file("fifo.h5")], ["run", dir.file("fifo.h5"), "--input", input, "--output", dir.file("o.npy")],
    ]
    #expect(mkfifo(dir.file("fifo.h5"), 0o644) == 0)
    for file in ["graph.json", "model.safetensors.index.json", "model-00001-of-00001.safetensors"] {
      let bundle = dir.file("with-fifo-" + file)
      try FileManager.default.copyItem(atPath: dir.file("good"), toPath: bundle)
      try FileManager.default.removeItem(atPath: bundle + "/" + file)
      #expect(mkfifo(bundle + "/" + file, 0o644) == 0)
      cases += [["inspect", bundle], ["run", bundle, "--input", input, "--output", dir.file("o.npy")]]
    }
    for arguments in cases {
      let start = Date()
      let result = try CommandRunner.run(arguments, prefix: ["/usr/bin/timeout", "60"])
      #expect(
        result.status == 2 && result.standardError.contains("not a regular file"),
        "\(arguments): \(result.standardError)")
      #expect(Date().timeIntervalSince(start) < 30, "\(arguments)")
    }
  }

  /// Finding 10: two writers of one new output never both succeed.
  @Test func concurrentWritersOfOneOutputHaveOneWinner() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let group = DispatchGroup()
    let results = Results()
    for _ in 0..<4 {
      DispatchQueue.global().async(group: group) {
        let result = try? CommandRunner.run([source, dir.file("m.h5"), "--quiet"])
        results.append(result)
      }
    }
    group.wait()
    let all = results.all
    #expect(all.count == 4 && all.allSatisfy { $0 != nil })
    #expect(all.filter { $0?.status == 0 }.count == 1, "\(all.map { $0?.standardError ?? "" })")
    #expect(
      all.allSatisfy {
        $0?.status == 0 || $0?.refused("another process is writing it") == true
          || $0?.refused("already exists") == true
      })
    #expect(dir.contents() == ["m.h5"])
  }

  final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [CommandResult?] = []
    func append(_ item: CommandResult?) { lock.withLock { items.append(item) } }
    var all: [CommandResult?] { lock.withLock { items } }
  }

  /// Finding 12: output names: invalid UTF-8 refused (not rewritten into another name), names up
  /// to 255 bytes accepted, control characters kept off the error line.
  @Test func outputNamesAreTakenAsGivenOrRefused() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    // sh passes the bytes through: \xff is not UTF-8.
    process.arguments = [
      "-c", "exec \"$0\" \"$1\" \"$2\"$(printf '\\377') 2>&1", try CommandRunner.executable(), source, dir.file("out"),
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(
      process.terminationStatus == 2 && message.contains("is not valid UTF-8") && message.contains("out\\xff"),
      "\(message)")
    #expect(dir.contents().isEmpty)
    for name in [String(repeating: "b", count: 255), String(repeating: "h", count: 252) + ".h5"] {
      let result = try CommandRunner.run([source, dir.file(name), "--quiet"])
      #expect(result.status == 0, "\(name.utf8.count) bytes: \(result.standardError)")
    }
    #expect(dir.contents().count == 2)
    // One byte more, or an ONNX data file whose name would pass 255 bytes: refused before any
    // work, with the longest name that would do.
    let long = try CommandRunner.run([source, dir.file(String(repeating: "o", count: 251) + ".onnx")])
    #expect(long.refused("its name is 256 bytes long, more than the 255 a file name may have"), "\(long)")
    let data = try CommandRunner.run([
      source, dir.file(String(repeating: "d", count: 233) + ".onnx"), "--external-data",
    ])
    #expect(
      data.refused(
        "whose name would be 256 bytes, more than the 255 a file name may have; choose a name of at most 237 bytes"),
      "\(data.standardError)")
    #expect(dir.contents().count == 2, "nothing written: \(dir.contents())")
    let odd = dir.file("two\nlines\u{1b}[31m")
    #expect(try CommandRunner.run([source, odd, "--quiet"]).status == 0)
    let again = try CommandRunner.run([source, odd])
    #expect(again.refused("two\\nlines\\u{1b}[31m: already exists"), "\(again.standardError)")
  }

  /// Finding 13: NaN or infinite inputs are refused; values outside the contract's range warn.
  @Test func inputsOutsideTheContractAreRefusedOrReported() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let (shape, values) = try NpyFile.readFloats(path: Fixtures.path("mixer_tiny", "input.npy"))
    let pixels = values.map { ($0 + 1) * 127.5 }  // not normalised: 0…255
    var broken = values
    broken[7] = .nan
    broken[8] = .infinity
    try NpyFile.write(pixels, shape: shape, to: dir.file("pixels.npy"), replacing: false)
    try NpyFile.write(broken, shape: shape, to: dir.file("nan.npy"), replacing: false)
    let warned = try CommandRunner.run([
      "run", dir.file("b"), "--input", dir.file("pixels.npy"), "--output", dir.file("o.npy"),
    ])
    #expect(
      warned.status == 0
        && warned.standardError.hasPrefix("mixer-convert: warning: \(dir.file("pixels.npy")): values span"))
    #expect(warned.standardError.contains("outside the input contract's [-1, 1]"), "\(warned.standardError)")
    let quiet = try CommandRunner.run([
      "run", dir.file("b"), "--input", Fixtures.path("mixer_tiny", "input.npy"),
      "--output", dir.file("p.npy"),
    ])
    #expect(quiet.status == 0 && quiet.standardError.isEmpty)
    let refused = try CommandRunner.run([
      "run", dir.file("b"), "--input", dir.file("nan.npy"), "--output", dir.file("q.npy"),
    ])
    #expect(refused.refused("nan.npy: the input holds 2 NaN or infinite values"), "\(refused.standardError)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("q.npy")))
    let verify = try CommandRunner.run([
      "verify", Fixtures.path("mixer_tiny"), dir.file("b"), "--input", dir.file("nan.npy"),
    ])
    #expect(verify.refused("the input holds 2 NaN or infinite values"), "\(verify.standardError)")
    // classify: an export whose preprocessing cannot produce its own value range.
    let graph = dir.file("b/graph.json")
    let text = try String(contentsOfFile: graph, encoding: .utf8)
    try text.replacingOccurrences(of: "\"pixel_divisor\" : 127.5", with: "\"pixel_divisor\" : 1").write(
      toFile: graph, atomically: true, encoding: .utf8)
    let image = Fixtures.directory + "/images/baseline444.jpg"
    let classify = try CommandRunner.run(["classify", dir.file("b"), image])
    #expect(classify.refused("input contract is inconsistent"), "\(classify.standardError)")
  }

  /// Finding 7: sizes in a graph document that overflow are refused in one line, in a bundle.
  @Test func overflowingShapesInABundleAreRefused() throws {
    let dir = TemporaryDirectory()
    let input = Fixtures.path("mixer_tiny", "input.npy")
    for name in ["reshape", "manifest"] {
      let bundle = dir.file(name)
      #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), bundle, "--quiet"]).status == 0)
      let path = bundle + "/graph.json"
      var object =
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
      if name == "manifest" {
        var weights = object["weights"] as! [String: Any]
        var tensors = weights["tensors"] as! [String: Any]
        var entry = tensors["stem.kernel"] as! [String: Any]
        entry["shape"] = [32, 1 << 61]
        tensors["stem.kernel"] = entry
        weights["tensors"] = tensors
        object["weights"] = weights
      } else {
        var nodes = object["nodes"] as! [[String: Any]]
        let index = nodes.firstIndex { $0["op"] as? String == "Reshape" }!
        nodes[index]["attributes"] = ["shape": [-1, 1 << 32, 1 << 32, 16]]
        object["nodes"] = nodes
      }
      try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
      for arguments in [["inspect", bundle], ["run", bundle, "--input", input, "--output", dir.file("o.npy")]] {
        let result = try CommandRunner.run(arguments)
        #expect(result.refused("graph.json"), "\(name) \(arguments): \(result.standardError)")
      }
    }
  }
}
