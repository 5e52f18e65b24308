import Foundation

extension CommandResult {
  /// Standard output parsed as a JSON object (what `--json` prints).
  public func jsonObject() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(standardOutput.utf8)) as! [String: Any]
  }
}
