import Foundation
import TestSupport
import Testing

@Suite struct InspectCommandTests {
  private func json(_ arguments: [String]) throws -> [String: Any] {
    let result = try CommandRunner.run(arguments + ["--json"])
    #expect(result.status == 0, "\(result.standardError)")
    return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
  }

  @Test(arguments: Fixtures.cases)
  func textListsEveryTensorAndTheModel(name: String) throws {
    let result = try CommandRunner.run(["inspect", Fixtures.path(name)])
    #expect(result.status == 0)
    #expect(result.standardError.isEmpty)
    let shapes = try Fixtures.parameterShapes(name)
    for (path, shape) in shapes {
      let leaf = String(path.split(separator: "/").last!)
      let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
      // The tensor's own line names it and gives its shape.
      #expect(
        result.standardOutput.split(separator: "\n").contains {
          ($0.contains(" \(leaf) ") || $0.hasPrefix(leaf + " ")) && $0.contains(shapeText)
        }, "\(path)")
    }
    // The table's padding stops at each line's last cell.
    #expect(!result.standardOutput.split(separator: "\n").contains { $0.last?.isWhitespace == true })
    let count = try Fixtures.config(name)["num_params"] as! Int
    let grouped = NumberFormatter.localizedString(from: NSNumber(value: count), number: .decimal)
    #expect(result.standardOutput.contains("model: custom "))
    #expect(result.standardOutput.contains("· \(grouped.replacingOccurrences(of: "\u{a0}", with: ",")) params ·"))
  }

  @Test(arguments: Fixtures.cases)
  func jsonDescribesEveryTensorAndTheConfig(name: String) throws {
    let report = try json(["inspect", Fixtures.path(name)])
    #expect(report["format"] as? String == "mixer-convert.inspect")
    let nodes = report["nodes"] as! [[String: Any]]
    let tensors = nodes.filter { $0["kind"] as? String == "tensor" }
    let listed = Dictionary(uniqueKeysWithValues: tensors.map { ($0["path"] as! String, $0["shape"] as! [Int]) })
    #expect(listed == (try Fixtures.parameterShapes(name)))
    let config = try Fixtures.config(name)
    #expect(report["parameters"] as? Int == config["num_params"] as? Int)
    let model = report["model"] as! [String: Any]
    #expect(model["recognized"] as? Bool == true)
    let kind = config["model_kind"] as! String
    #expect(model["family"] as? String == (kind == "vit_hybrid" ? "hybrid" : kind))
    #expect(model["image_size"] as? Int == (config["image_size"] as! [Int])[0])
    let layout = model["report"] as! [String: Any]
    for key in ["missing", "unused", "shape_mismatches", "architecture_problems"] {
      #expect((layout[key] as! [Any]).isEmpty)
    }
    if kind == "mixer" {
      let mixer = model["mixer"] as! [String: Any]
      #expect(mixer["tokens_mlp_dim"] as? Int == config["tokens_mlp_dim"] as? Int)
    } else {
      let vit = model["vit"] as! [String: Any]
      #expect(vit["heads"] as? Int == config["num_heads"] as? Int)
      #expect(vit["classifier"] as? String == config["classifier"] as? String)
    }
  }

  @Test func depthAndFilterLimitTheListing() throws {
    let path = Fixtures.path("vit_tiny_token")
    let shallow = try json(["inspect", path, "--depth", "1"])["nodes"] as! [[String: Any]]
    #expect(shallow.map { $0["path"] as! String } == ["Transformer", "cls", "embedding", "head"])
    #expect(shallow.first?["tensors"] as? Int == 35)
    let filtered = try json(["inspect", path, "--filter", "*encoderblock_1/*/query/*"])["nodes"] as! [[String: Any]]
    let tensors = filtered.filter { $0["kind"] as? String == "tensor" }.map { $0["path"] as! String }
    #expect(
      tensors == [
        "Transformer/encoderblock_1/MultiHeadDotProductAttention_1/query/bias",
        "Transformer/encoderblock_1/MultiHeadDotProductAttention_1/query/kernel",
      ])
    #expect(filtered.first?["parameters"] as? Int == 32 + 32 * 32)
    // An export's tensors are named with dots and shown as a tree of `/` levels: either form matches.
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([path, dir.file("b"), "--quiet"]).status == 0)
    for glob in ["head/kernel", "head.kernel", "he*/k*"] {
      let nodes = try json(["inspect", dir.file("b"), "--filter", glob])["nodes"] as! [[String: Any]]
      let names = nodes.filter { $0["kind"] as? String == "tensor" }.map { $0["path"] as! String }
      #expect(names == ["head.kernel"], "\(glob): \(names)")
    }
  }

  @Test func statisticsAreComputedPerTensor() throws {
    let nodes = try json(["inspect", Fixtures.path("mixer_tiny"), "--stats"])["nodes"] as! [[String: Any]]
    let scale = try #require(nodes.first { $0["path"] as? String == "pre_head_layer_norm/scale" })
    let stats = scale["statistics"] as! [String: Any]
    let (lo, hi, mean) = (stats["min"] as! Double, stats["max"] as! Double, stats["mean"] as! Double)
    #expect(lo <= mean && mean <= hi && stats["nan_count"] as? Int == 0)
    // Fixture scales are 1 + 0.2·N(0,1).
    #expect(abs(mean - 1) < 0.2 && (stats["std"] as! Double) > 0.1)
    let text = try CommandRunner.run(["inspect", Fixtures.path("mixer_tiny"), "--stats", "--filter", "*scale"])
    #expect(text.standardOutput.contains("  mean  "))
    // A folder's statistics cover its tensors, read even when --depth hides them.
    let folders =
      try json(["inspect", Fixtures.path("mixer_tiny"), "--stats", "--depth", "1"])["nodes"]
      as! [[String: Any]]
    let head = try #require(folders.first { $0["path"] as? String == "pre_head_layer_norm" })
    let headStats = try #require(head["statistics"] as? [String: Any])
    let bias = try #require(nodes.first { $0["path"] as? String == "pre_head_layer_norm/bias" })
    let biasStats = bias["statistics"] as! [String: Any]
    #expect(headStats["min"] as? Double == min(lo, biasStats["min"] as! Double))
    #expect(headStats["max"] as? Double == max(hi, biasStats["max"] as! Double))
    #expect(!folders.contains { $0["path"] as? String == "pre_head_layer_norm/scale" })
  }

  @Test(arguments: HostileCorpus.cases)
  func hostileFilesExitTwoWithOneLine(hostile: HostileCase) throws {
    let dir = TemporaryDirectory()
    let path = dir.write(hostile.name, hostile.bytes)
    let result = try CommandRunner.run(["inspect", path] + (hostile.needsData ? ["--stats"] : []))
    #expect(result.status == 2, "\(hostile.name): \(result.standardOutput)")
    let lines = result.standardError.split(separator: "\n")
    #expect(lines.count == 1, "\(result.standardError)")
    let line = String(lines.first ?? "")
    #expect(line.hasPrefix("mixer-convert: error: \(path): "))
    if let member = hostile.member { #expect(line.contains("member '\(member)': "), "\(line)") }
    #expect(line.contains(hostile.reason), "\(line)")
    #expect(result.standardOutput.isEmpty)
  }

  @Test func usageErrorsExitTwoAndHelpExitsZero() throws {
    #expect(try CommandRunner.run(["inspect"]).status == 2)
    #expect(try CommandRunner.run(["inspect", "x.npz", "--depth", "0"]).status == 2)
    #expect(try CommandRunner.run(["frobnicate"]).status == 2)
    let help = try CommandRunner.run(["inspect", "--help"])
    #expect(help.status == 0 && help.standardOutput.contains("--filter"))
    let missing = try CommandRunner.run(["inspect", "/nonexistent.npz"])
    #expect(missing.status == 2 && missing.standardError.contains("/nonexistent.npz: does not exist"))
  }
}
