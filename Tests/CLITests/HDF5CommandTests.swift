import Checkpoint
import Foundation
import TestSupport
import Testing

/// The HDF5 option through the command line: writing, the three readers, and damaged files.
@Suite struct HDF5CommandTests {
  @Test func convertWritesHDF5AndEveryReaderAcceptsIt() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    let converted = try CommandRunner.run([source, dir.file("m.h5"), "--h5-compress", "--verify"])
    #expect(converted.status == 0, "\(converted.standardError)")
    #expect(converted.standardOutput.hasPrefix("custom ViT · 42,666 params · float32 · 0.2 MiB in HDF5"))
    let input = Fixtures.path("vit_tiny_token", "input.npy")
    let ran = try CommandRunner.run(["run", dir.file("m.h5"), "--input", input, "--output", dir.file("o.npy")])
    #expect(ran.status == 0 && ran.standardOutput == "\(dir.file("o.npy")): logits [2, 10]\n", "\(ran.standardError)")
    let (_, values) = try NpyFile.readFloats(path: dir.file("o.npy"))
    let (_, golden) = try NpyFile.readFloats(path: Fixtures.path("vit_tiny_token", "logits.npy"))
    #expect(zip(values, golden).allSatisfy { abs($0 - $1) <= 1e-5 })
    let verified = try CommandRunner.run(["verify", source, dir.file("m.h5"), "--json"])
    #expect(verified.status == 0)
    #expect(try verified.jsonObject()["passed"] as? Bool == true)
    let inspected = try CommandRunner.run(["inspect", dir.file("m.h5"), "--json", "--depth", "1"]).jsonObject()
    #expect(inspected["kind"] as? String == "export" && inspected["container"] as? String == "hdf5")
    #expect(inspected["parameters"] as? Int == 42_666 && inspected["tensors"] as? Int == 40)
    #expect((inspected["operations"] as? [String: Int])?["MultiHeadAttention"] == 2)
    let text = try CommandRunner.run(["inspect", dir.file("m.h5"), "--filter", "blocks.1.attention.*"])
    #expect(text.status == 0 && text.standardOutput.contains("query_kernel  (32, 4, 8)"), "\(text.standardOutput)")
    #expect(text.standardOutput.contains("output: logits [N, 10]"))
    // A bundle folder is inspected the same way.
    #expect(try CommandRunner.run([source, dir.file("b"), "--quiet"]).status == 0)
    let folder = try CommandRunner.run(["inspect", dir.file("b"), "--json"]).jsonObject()
    #expect(folder["container"] as? String == "bundle" && folder["parameters"] as? Int == 42_666)
    // A file name that starts with '-' reaches the reader's child process as a path.
    try FileManager.default.copyItem(atPath: dir.file("m.h5"), toPath: dir.file("-m.h5"))
    let dashed = try CommandRunner.run(
      ["run", "--input", input, "--output", "o2.npy", "--", "-m.h5"], directory: dir.path)
    #expect(dashed.status == 0, "\(dashed.standardError)")
  }

  @Test func formatOptionsAreChecked() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("mixer_tiny")
    let misplaced = try CommandRunner.run([source, dir.file("out"), "--h5-compress"])
    #expect(
      misplaced.status == 2
        && misplaced.standardError.contains("--h5-compress applies to hdf5 output (an HDF5 file), not bundle"))
    #expect(try CommandRunner.run([source, dir.file("weights.bin"), "--format", "hdf5", "--quiet"]).status == 0)
    let header = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir.file("weights.bin"))).read(upToCount: 4)
    #expect(header.map(Array.init) == [0x89, 0x48, 0x44, 0x46])
    let again = try CommandRunner.run([source, dir.file("weights.bin"), "--format", "hdf5"])
    #expect(again.status == 2 && again.standardError.contains("already exists; pass --force to replace it"))
    #expect(Set(dir.contents()) == ["weights.bin"])
  }

  /// Damaged files: every reader exits 2 with one line of ours (libhdf5 prints nothing), or,
  /// when the damage is in bytes nothing reads, gives exactly the undamaged outputs. Some of
  /// these flips make libhdf5 1.10 crash; the child reader contains that.
  @Test func damagedFilesExitTwoWithOneLineAndNeverCrash() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("vit_tiny_token")
    #expect(try CommandRunner.run([source, dir.file("m.h5"), "--quiet"]).status == 0)
    let input = Fixtures.path("vit_tiny_token", "input.npy")
    #expect(
      try CommandRunner.run(["run", dir.file("m.h5"), "--input", input, "--output", dir.file("ref.npy")]).status == 0)
    let reference = try NpyFile.readFloats(path: dir.file("ref.npy")).values
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.file("m.h5"))))
    var damaged: [(String, [UInt8])] = [("empty", []), ("signature only", Array(original.prefix(8)))]
    for cut in [100, 800, 2000, 4000, original.count / 2, original.count - 1] {
      damaged.append(("cut at \(cut)", Array(original.prefix(cut))))
    }
    for offset in [
      8, 40, 96, 500, 973, 1200, 2079, 2191, 2600, 3017, 3400, 4025, original.count / 2, original.count - 100,
    ] {
      var bytes = original
      bytes[offset] ^= 0x5A
      damaged.append(("flip at \(offset)", bytes))
    }
    var refused = 0
    for (label, bytes) in damaged {
      let path = dir.write("d.h5", bytes)
      for arguments in [
        ["run", path, "--input", input, "--output", dir.file("o.npy"), "--force"],
        ["verify", source, path], ["inspect", path],
      ] {
        let result = try CommandRunner.run(arguments)
        #expect(result.status == 0 || result.status == 2, "\(label) \(arguments[0]): status \(result.status)")
        if result.status == 2 {
          #expect(result.standardError.hasPrefix("mixer-convert: error: \(path)"), "\(label): \(result.standardError)")
          #expect(result.standardError.split(separator: "\n").count == 1, "\(label): \(result.standardError)")
          refused += 1
        } else if arguments[0] == "run" {
          #expect(try NpyFile.readFloats(path: dir.file("o.npy")).values == reference, "\(label): different outputs")
        }
      }
    }
    #expect(refused >= 3 * 8, "every truncation is refused by every reader")
    let text = dir.write("text.h5", Array("not hdf5".utf8))
    let notHDF5 = try CommandRunner.run(["run", text, "--input", input, "--output", dir.file("o.npy"), "--force"])
    let named = "text.h5: is named as an HDF5 file, but its content is not one"
    #expect(notHDF5.status == 2 && notHDF5.standardError.contains(named), "\(notHDF5.standardError)")
    // Under a name that claims no format, the error lists what the file could have been.
    let other = dir.write("text.bin", Array("not hdf5".utf8))
    let unknown = try CommandRunner.run(["run", other, "--input", input, "--output", dir.file("o.npy"), "--force"])
    let formats = "a bundle folder, an HDF5 file, an ONNX file, a timm folder nor a transformers folder"
    #expect(unknown.status == 2 && unknown.standardError.contains("is neither \(formats)"), "\(unknown.standardError)")
  }

  /// libhdf5 is loaded when HDF5 is first used, not linked: with it hidden (bound over by
  /// /dev/null in a mount namespace of its own), a bundle still converts and `info` still runs,
  /// and an HDF5 conversion fails in one line with status 2 and leaves nothing behind.
  @Test(.enabled(if: DiskFullTests.canMount, "skipped: hiding libhdf5 in a mount namespace needs root"))
  func withoutLibHDF5OnlyHDF5Fails() throws {
    let dir = TemporaryDirectory()
    let hidden = [
      "/usr/bin/unshare", "--mount", "/bin/sh", "-c",
      "for f in /usr/lib/*/libhdf5_serial.so.103 /usr/lib/*/libhdf5.so.103 /usr/lib64/libhdf5.so.103; do "
        + "[ -e \"$f\" ] && mount --bind /dev/null \"$f\"; done; exec \"$@\"", "sh",
    ]
    let source = Fixtures.path("mixer_tiny")
    let bundle = try CommandRunner.run([source, dir.file("b"), "--quiet"], prefix: hidden)
    #expect(bundle.status == 0, "\(bundle.standardError)")
    #expect(try CommandRunner.run(["verify", source, dir.file("b")]).status == 0)
    let info = try CommandRunner.run(["info"], prefix: hidden)
    #expect(info.status == 0 && info.standardOutput.contains("libhdf5 unavailable: libhdf5 1.10 is not installed"))
    let h5 = try CommandRunner.run([source, dir.file("m.h5")], prefix: hidden)
    #expect(h5.refused("error: \(dir.file("m.h5")): libhdf5 1.10 is not installed"), "\(h5.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["b"])
    // Outside the namespace the same conversion works.
    #expect(try CommandRunner.run([source, dir.file("m.h5"), "--quiet"]).status == 0)
  }
}
