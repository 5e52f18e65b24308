import Foundation

/// A fresh folder under the system temporary directory, removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
  /// The folder.
  public let path: String

  public init() {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("mixer-convert-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    path = base.path
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Path of `name` inside the folder.
  public func file(_ name: String) -> String { path + "/" + name }

  /// Writes bytes to `name` and returns its path.
  @discardableResult
  public func write(_ name: String, _ bytes: [UInt8]) -> String {
    let target = file(name)
    _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
    return target
  }

  /// Names of the entries in the folder, sorted.
  public func contents() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }
}
