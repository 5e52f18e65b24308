import Foundation

/// Output to the terminal: results on standard output, messages on standard error.
enum Console {
  /// Whether standard error is a terminal (progress bars are drawn only then).
  static let standardErrorIsTerminal = isatty(STDERR_FILENO) != 0

  /// Prints an error line: `mixer-convert: error: …`.
  static func error(_ message: String) {
    standardError("mixer-convert: error: \(message)")
  }

  /// Prints a line to standard error.
  static func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// Whether a JSON document went to standard output (an error then stays on standard error,
  /// so that standard output holds one document).
  nonisolated(unsafe) private(set) static var printedJSON = false

  /// Writes an encodable value as pretty JSON with sorted keys on standard output.
  static func printJSON<T: Encodable>(_ value: T) throws {
    printedJSON = true
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }
}
