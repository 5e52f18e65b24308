import Checkpoint
import Foundation
import TestSupport
import Testing

/// `classify` end to end: preprocessing against `run` on the contract's formula, softmax,
/// label lists, features exports and broken images in a batch.
@Suite struct ClassifyCommandTests {
  static func image(_ name: String) -> String { Fixtures.directory + "/images/" + name }

  /// The shipped label list, one (WordNet id, name) per class.
  static func shippedLabels(_ name: String) throws -> [(String, String)] {
    let root = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
    let file = root.appendingPathComponent("Sources/Classification/Labels/\(name).tsv")
    return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
      let fields = line.split(separator: "\t", maxSplits: 1)
      return (String(fields[0]), String(fields[1]))
    }
  }

  private func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
  }

  private func predictions(_ report: [String: Any], image: Int) -> [[String: Any]] {
    let results = report["results"] as! [[String: Any]]
    return results[image]["predictions"] as! [[String: Any]]
  }

  /// The tiny Mixer converted into `dir`.
  private func tinyBundle(_ dir: TemporaryDirectory, _ fixture: String = "mixer_tiny") throws -> String {
    let bundle = dir.file(fixture)
    let convert = try CommandRunner.run([Fixtures.path(fixture), bundle])
    #expect(convert.status == 0, "\(convert.standardError)")
    return bundle
  }

  /// `run` on the image as the input contract says: a 64 × 64 image needs no resize, so the
  /// input is (pixel − 127.5) / 127.5 of the decoded pixels.
  private func runOnContract(_ bundle: String, _ dir: TemporaryDirectory, image: String) throws -> [Float] {
    let (shape, pixels) = try NpyFile.readFloats(path: Self.image(image) + ".rgb.npy")
    let input = dir.file("input.npy")
    try NpyFile.write(pixels.map { ($0 - 127.5) / 127.5 }, shape: [1] + shape, to: input, replacing: true)
    let output = dir.file("output.npy")
    let run = try CommandRunner.run(["run", bundle, "--input", input, "--output", output, "--force"])
    #expect(run.status == 0, "\(run.standardError)")
    return try NpyFile.readFloats(path: output).values
  }

  @Test func classifiesWithTheContractsPreprocessingAndSoftmax() throws {
    let dir = TemporaryDirectory()
    let bundle = try tinyBundle(dir)
    let logits = try runOnContract(bundle, dir, image: "rgb64.png")
    #expect(logits.count == 10)
    let classify = try CommandRunner.run([
      "classify", bundle, Self.image("rgb64.png"), Self.image("baseline420.jpg"),
      "--top", "10", "--json",
    ])
    #expect(classify.status == 0, "\(classify.standardError)")
    let report = try json(classify.standardOutput)
    #expect(report["classes"] as? Int == 10)
    #expect(report["labels"] == nil, "a 10-class head has no shipped list")
    for image in 0..<2 {
      let rows = predictions(report, image: image)
      #expect(rows.count == 10)
      let probabilities = rows.map { $0["probability"] as! Double }
      #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9)
      #expect(probabilities == probabilities.sorted(by: >))
      #expect(Set(rows.map { $0["index"] as! Int }) == Set(0..<10))
    }
    // One image at a time gives the same report.
    let oneByOne = try CommandRunner.run([
      "classify", bundle, Self.image("rgb64.png"), Self.image("baseline420.jpg"),
      "--top", "10", "--json", "--batch", "1",
    ])
    #expect(oneByOne.status == 0 && oneByOne.standardOutput == classify.standardOutput)
    // The first image's logits are run's on the contract's input, and its probabilities their softmax.
    let rows = predictions(report, image: 0)
    let largest = Double(logits.max()!)
    let total = logits.reduce(0) { $0 + exp(Double($1) - largest) }
    for row in rows {
      let index = row["index"] as! Int
      #expect(abs((row["logit"] as! Double) - Double(logits[index])) <= 1e-6 * max(1, abs(Double(logits[index]))))
      let expected = exp(Double(logits[index]) - largest) / total
      #expect(abs((row["probability"] as! Double) - expected) < 1e-6)
    }

    // Text: K rows per image, class indices when no list fits the head, percentages.
    let text = try CommandRunner.run([
      "classify", bundle, Self.image("rgb64.png"), Self.image("gray8.png"), "--top", "3",
    ])
    #expect(text.status == 0, "\(text.standardError)")
    // The note goes to standard error, apart from the results.
    #expect(text.standardError.hasPrefix("mixer-convert: note: no label list for a 10-class head"))
    let lines = text.standardOutput.split(separator: "\n")
    #expect(lines.count == 2 * 4, "\(text.standardOutput)")
    #expect(lines[0] == Self.image("rgb64.png") && lines[4] == Self.image("gray8.png"))
    #expect(lines[1].contains("class \(rows[0]["index"] as! Int)") && lines[1].hasSuffix("%"))

    for (bad, reason) in [
      (["--top", "0"], "--top must be at least 1"), (["--threads", "0"], "--threads must be between 1"),
      (["--batch", "0"], "--batch must be at least 1"),
    ] {
      let refused = try CommandRunner.run(["classify", bundle, Self.image("rgb64.png")] + bad)
      #expect(refused.status == 2 && refused.standardError.contains(reason), "\(bad)")
    }

    let misplaced = try CommandRunner.run(["classify", bundle, Self.image("rgb64.png"), "--output", dir.file("x.npy")])
    #expect(
      misplaced.status == 2
        && misplaced.standardError.contains(
          "an embeddings file (\(dir.file("x.npy"))) is for a features export: leave out --output")
    )
    #expect(!FileManager.default.fileExists(atPath: dir.file("x.npy")))
  }

  @Test func labelsComeFromTheListMatchingTheHead() throws {
    let dir = TemporaryDirectory()
    for (classes, list) in [(1000, "imagenet1k"), (21843, "imagenet21k")] {
      let checkpoint = dir.file("s32-\(classes).npz")
      #expect(
        try CommandRunner.run(["synth", "Mixer-S_32", checkpoint, "--classes", "\(classes)", "--quiet"]).status == 0)
      let bundle = dir.file("s32-\(classes)")
      #expect(try CommandRunner.run([checkpoint, bundle]).status == 0)
      let classify = try CommandRunner.run([
        "classify", bundle, Self.image("progressive420.jpg"), "--top", "4", "--json",
      ])
      #expect(classify.status == 0, "\(classify.standardError)")
      let report = try json(classify.standardOutput)
      #expect(report["labels"] as? String == list)
      let shipped = try Self.shippedLabels(list)
      #expect(shipped.count == classes)
      let rows = predictions(report, image: 0)
      #expect(rows.count == 4)
      for row in rows {
        let label = row["label"] as! [String: String]
        let (wnid, name) = shipped[row["index"] as! Int]
        #expect(label["wordnet_id"] == wnid && label["name"] == name)
      }
    }
    // A user's list must match the head; the other shipped list does not.
    let bundle = dir.file("s32-1000")
    let names = dir.file("names.txt")
    // Windows line endings and blank lines at the end are read as any other list.
    try ((0..<1000).map { "thing \($0)" }.joined(separator: "\r\n") + "\r\n\r\n")
      .write(toFile: names, atomically: true, encoding: .utf8)
    let own = try CommandRunner.run([
      "classify", bundle, Self.image("rgb8.png"), "--labels", names, "--top", "1", "--json",
    ])
    #expect(own.status == 0, "\(own.standardError)")
    let row = predictions(try json(own.standardOutput), image: 0)[0]
    #expect((row["label"] as! [String: Any])["name"] as? String == "thing \(row["index"] as! Int)")
    let short = dir.file("short.txt")
    try "a\nb\nc\n".write(toFile: short, atomically: true, encoding: .utf8)
    let latin1 = dir.write("latin1.txt", Array("caf\u{e9}\n".unicodeScalars.map { UInt8($0.value) }))
    for (labels, reason) in [
      (short, "\(short): lists 3 classes, but the export's head has 1000"),
      (latin1, "\(latin1): is not UTF-8 text (one class name a line)"),
      ("imagenet21k", "imagenet21k: lists 21843 classes, but the export's head has 1000"),
    ] {
      let refused = try CommandRunner.run(["classify", bundle, Self.image("rgb8.png"), "--labels", labels])
      #expect(refused.status == 2 && refused.standardOutput.isEmpty)
      #expect(refused.standardError == "mixer-convert: error: \(reason)\n", "\(refused.standardError)")
    }
  }

  @Test func brokenImagesAreNamedAndTheOthersStillClassified() throws {
    let dir = TemporaryDirectory()
    let bundle = try tinyBundle(dir)
    let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.image("progressive420.jpg"))))
    let truncated = dir.write("truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)))
    var png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.image("rgb8.png"))))
    png[19] ^= 1  // the low byte of IHDR's width: the chunk's CRC no longer matches
    let badCRC = dir.write("bad-crc.png", png)
    let text = dir.write("notes.png", Array("just text".utf8))
    let missing = dir.file("missing.jpg")
    let huge = dir.write("huge.png", TestImages.pngDeclaring(width: 100_000, height: 100_000))
    let result = try CommandRunner.run([
      "classify", bundle, truncated, Self.image("rgb64.png"), badCRC, text, missing,
      huge, Self.image("palette4.png"), "--top", "2",
    ])
    #expect(result.status == 2)
    let errors = result.standardError.split(separator: "\n").map(String.init).filter { !$0.contains(": note: ") }
    #expect(errors.count == 6, "\(result.standardError)")
    #expect(errors[0].hasPrefix("mixer-convert: error: \(truncated): not a readable JPEG"))
    #expect(errors[1].hasPrefix("mixer-convert: error: \(badCRC): not a readable PNG"))
    #expect(errors[1].contains("CRC"), "\(errors[1])")
    #expect(errors[2] == "mixer-convert: error: \(text): is not a JPEG or PNG image")
    #expect(errors[3] == "mixer-convert: error: \(missing): does not exist")
    #expect(
      errors[4]
        == "mixer-convert: error: \(huge): image declares 100000 × 100000 pixels, more than the 100000000 accepted")
    #expect(errors[5] == "mixer-convert: error: 5 of 7 images could not be read")
    let printed = result.standardOutput.split(separator: "\n")
    #expect(
      printed == [Substring(Self.image("rgb64.png"))] + printed[1...2] + [Substring(Self.image("palette4.png"))]
        + printed[4...5],
      "\(result.standardOutput)")
    #expect(printed.count == 6)

    // One image that cannot be read: one error line, which names it.
    let alone = try CommandRunner.run(["classify", bundle, text])
    #expect(alone.status == 2 && alone.standardOutput.isEmpty)
    #expect(
      alone.standardError.split(separator: "\n").filter { !$0.contains(": note: ") } == [
        "mixer-convert: error: \(text): is not a JPEG or PNG image"
      ], "\(alone.standardError)")

    // --skip-unreadable: the same results, the failures as warnings, exit status 0.
    let skipping = try CommandRunner.run(["classify", bundle, truncated, Self.image("rgb64.png"), "--skip-unreadable"])
    #expect(skipping.status == 0)
    let warnings = skipping.standardError.split(separator: "\n").filter { !$0.contains(": note: ") }
    #expect(warnings.count == 1 && warnings[0].hasPrefix("mixer-convert: warning: \(truncated): not a readable JPEG"))
    #expect(skipping.standardOutput.hasPrefix(Self.image("rgb64.png") + "\n"))

    // JSON keeps both lists.
    let report = try CommandRunner.run(["classify", bundle, missing, Self.image("rgb64.png"), "--json"])
    #expect(report.status == 2)
    let document = try json(report.standardOutput)
    #expect((document["results"] as! [[String: Any]]).map { $0["path"] as! String } == [Self.image("rgb64.png")])
    #expect((document["failures"] as! [[String: String]]) == [["path": missing, "reason": "does not exist"]])
  }

  @Test func featuresExportsWriteTheEmbeddings() throws {
    let dir = TemporaryDirectory()
    let bundle = try tinyBundle(dir, "mixer_tiny_fe")
    let expected = try runOnContract(bundle, dir, image: "rgb64.png")
    let output = dir.file("features.npy")
    let withGap = ["classify", bundle, Self.image("rgb64.png"), dir.file("gone.png"), Self.image("rgba16.png")]
    // One image missing: rows would no longer line up with the images given, so nothing is written.
    let refused = try CommandRunner.run(withGap + ["--output", output])
    #expect(refused.status == 2 && !FileManager.default.fileExists(atPath: output))
    #expect(
      refused.standardError.split(separator: "\n").map(String.init) == [
        "mixer-convert: error: \(dir.file("gone.png")): does not exist",
        "mixer-convert: error: 1 of 3 images could not be read; nothing written to \(output) "
          + "(--skip-unreadable writes the others' rows)",
      ], "\(refused.standardError)")
    let everyImageMissing = try CommandRunner.run(
      ["classify", bundle, dir.file("gone.png"), "--output", output, "--skip-unreadable"])
    #expect(everyImageMissing.status == 2 && !FileManager.default.fileExists(atPath: output))
    // One image: its failure is the one error line.
    #expect(
      everyImageMissing.standardError
        == "mixer-convert: error: \(dir.file("gone.png")): does not exist; nothing written to \(output)\n",
      "\(everyImageMissing.standardError)")
    // --json says, in the summary's own keys, that nothing was written and which image failed.
    for arguments in [
      withGap + ["--output", output, "--json"],
      ["classify", bundle, dir.file("gone.png"), "--output", output, "--json", "--skip-unreadable"],
    ] {
      let refusedJSON = try CommandRunner.run(arguments)
      #expect(refusedJSON.status == 2 && !FileManager.default.fileExists(atPath: output))
      let document = try json(refusedJSON.standardOutput)
      #expect(document["format"] as? String == "mixer-convert.classify-features", "\(refusedJSON.standardOutput)")
      #expect(document["output"] is NSNull && document["shape"] is NSNull && document["images"] as? [String] == [])
      #expect(
        document["failures"] as? [[String: String]] == [["path": dir.file("gone.png"), "reason": "does not exist"]])
    }

    let result = try CommandRunner.run(withGap + ["--output", output, "--json", "--skip-unreadable"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError == "mixer-convert: warning: \(dir.file("gone.png")): does not exist\n")
    let summary = try json(result.standardOutput)
    #expect(summary["shape"] as? [Int] == [2, 32])
    #expect(summary["images"] as? [String] == [Self.image("rgb64.png"), Self.image("rgba16.png")])
    let failures = summary["failures"] as? [[String: String]]
    #expect(failures == [["path": dir.file("gone.png"), "reason": "does not exist"]])
    let (shape, features) = try NpyFile.readFloats(path: output)
    #expect(shape == [2, 32])
    #expect(zip(features.prefix(32), expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })

    let single = dir.file("single.npy")
    let oneByOne = try CommandRunner.run([
      "classify", bundle, Self.image("rgb64.png"), Self.image("rgba16.png"),
      "--output", single, "--batch", "1",
    ])
    #expect(oneByOne.status == 0, "\(oneByOne.standardError)")
    #expect(try NpyFile.readFloats(path: single).values == features)

    let again = try CommandRunner.run(["classify", bundle, Self.image("rgb64.png"), "--output", output])
    #expect(again.status == 2 && again.standardError.contains("exists"), "\(again.standardError)")
    // Refused before any image is read: a missing one is not even reported.
    let before = try CommandRunner.run(["classify", bundle, dir.file("gone.png"), "--output", output])
    #expect(
      before.standardError == "mixer-convert: error: \(output): already exists; pass --force to replace it\n",
      "\(before.standardError)")
    let noOutput = try CommandRunner.run(["classify", bundle, Self.image("rgb64.png")])
    #expect(noOutput.status == 2)
    #expect(
      noOutput.standardError
        == "mixer-convert: error: \(bundle) is a features export: it gives embeddings, not classes: give --output FILE.npy for them\n"
    )
  }

  @Test func hdf5ExportsClassifyLikeBundles() throws {
    let dir = TemporaryDirectory()
    let bundle = try tinyBundle(dir)
    let h5 = dir.file("tiny.h5")
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), h5, "--format", "hdf5"]).status == 0)
    let fromBundle = try CommandRunner.run(["classify", bundle, Self.image("baseline444.jpg"), "--json"])
    let fromHDF5 = try CommandRunner.run(["classify", h5, Self.image("baseline444.jpg"), "--json"])
    #expect(fromBundle.status == 0 && fromHDF5.status == 0, "\(fromHDF5.standardError)")
    #expect(
      predictions(try json(fromBundle.standardOutput), image: 0).map { $0["logit"] as! Double }
        == predictions(try json(fromHDF5.standardOutput), image: 0).map { $0["logit"] as! Double })
  }
}
