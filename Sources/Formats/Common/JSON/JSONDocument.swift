import Checkpoint
import Foundation
import Runtime

/// Decodes the JSON documents of an export (graph.json, the index) strictly: a size cap, the
/// grammar checked by ``StrictJSON`` (no duplicate keys), and decoding errors reported as one
/// line with the path of the offending field.
enum JSONDocument {
  /// The largest document accepted: a graph.json of the largest released model (ViT-H/14) is
  /// about 300 KB.
  static let maxBytes = 16 << 20

  static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
    guard data.count <= maxBytes else {
      throw ExportFileError(path: path, reason: "is larger than \(MemoryBudget.amount(maxBytes))")
    }
    do {
      _ = try StrictJSON.parse(Array(data))
      return try JSONDecoder().decode(type, from: data)
    } catch let violation as FormatViolation {
      throw ExportFileError(path: path, reason: violation.reason)
    } catch let error as DecodingError {
      throw ExportFileError(path: path, reason: describe(error))
    }
  }

  private static func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
      return path.isEmpty ? "top level" : path
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "missing field '\(key.stringValue)' at \(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      return "invalid value at \(path(context)): \(context.debugDescription)"
    @unknown default: return "cannot be decoded"
    }
  }
}
