import Foundation

/// Paths of the golden fixtures copied from `../shared/fixtures` into `Tests/Fixtures`.
public enum Fixtures {
  /// `Tests/Fixtures`.
  public static let directory: String = {
    let here = URL(fileURLWithPath: #filePath)
    return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
  }()

  /// The fixture cases (folder names).
  public static let cases = [
    "mixer_tiny", "mixer_tiny_compressed", "mixer_tiny_fe", "vit_tiny_token", "vit_tiny_gap",
    "vit_tiny_repr", "r50_vit_tiny",
  ]

  /// Path of `file` in fixture `name`.
  public static func path(_ name: String, _ file: String = "params.npz") -> String {
    directory + "/" + name + "/" + file
  }

  /// The fixture's `config.json`.
  public static func config(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path(name, "config.json")))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  /// `param_shapes` of the fixture's `config.json`.
  public static func parameterShapes(_ name: String) throws -> [String: [Int]] {
    let shapes = try config(name)["param_shapes"] as! [String: [Any]]
    return shapes.mapValues { $0.map { ($0 as! NSNumber).intValue } }
  }
}
