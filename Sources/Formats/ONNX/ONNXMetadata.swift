import Foundation
import Graph

/// What an ONNX export says about itself in `metadata_props`: the format and its version, the
/// export header as JSON (generator, model, source file and SHA-256, input contract with its
/// preprocessing, outputs, and every weight's Flax name and checksum), and the source's
/// SHA-256 on its own for tools that want just that.
enum ONNXMetadata {
  /// The key–value pairs, in the order they are written.
  static func properties(_ header: ExportHeader) throws -> [(String, String)] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return [
      (ONNXLayout.formatKey, ONNXLayout.formatName),
      (ONNXLayout.formatVersionKey, ONNXLayout.formatVersion),
      (ONNXLayout.headerKey, String(decoding: try encoder.encode(header), as: UTF8.self)),
      (ONNXLayout.sourceKey, header.model.source.sha256),
    ]
  }

  /// The header the properties hold, checked.
  ///
  /// - Throws: a reason, when a key is missing or repeated, the format or its version is not
  ///   this reader's, or the header does not decode or validate.
  static func header(
    _ properties: [(key: String, value: String)], path: String
  ) throws -> (header: ExportHeader, version: String) {
    var values: [String: String] = [:]
    for (key, value) in properties {
      guard values.updateValue(value, forKey: key) == nil else {
        throw ExportFileError(path: path, reason: "metadata_props has the key '\(key)' twice")
      }
    }
    guard values[ONNXLayout.formatKey] == ONNXLayout.formatName else {
      throw ExportFileError(
        path: path,
        reason: "is not a mixer-convert ONNX export (metadata_props has no "
          + "\(ONNXLayout.formatKey) = \(ONNXLayout.formatName)); it can be run with ONNX Runtime")
    }
    let version = values[ONNXLayout.formatVersionKey] ?? "?"
    guard version.split(separator: ".").first == ONNXLayout.formatVersion.split(separator: ".").first else {
      throw ExportFileError(
        path: path,
        reason: "ONNX layout version \(version) is not supported (this reader knows "
          + "\(ONNXLayout.formatVersion))")
    }
    guard let json = values[ONNXLayout.headerKey] else {
      throw ExportFileError(path: path, reason: "metadata_props has no \(ONNXLayout.headerKey)")
    }
    let header = try JSONDocument.decode(
      ExportHeader.self, from: Data(json.utf8), path: path + " (metadata \(ONNXLayout.headerKey))")
    do { try header.validate() } catch let error as GraphError {
      throw ExportFileError(path: path, reason: "metadata \(ONNXLayout.headerKey): \(error.message)")
    }
    guard values[ONNXLayout.sourceKey] == header.model.source.sha256 else {
      throw ExportFileError(
        path: path, reason: "metadata \(ONNXLayout.sourceKey) differs from the header's source SHA-256")
    }
    return (header, version)
  }
}
