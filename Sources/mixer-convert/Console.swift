import CSupport
import Foundation
import Graph

/// Output to the terminal: results on standard output, messages on standard error.
enum Console {
  /// Whether standard error is a terminal (progress bars are drawn only then).
  static let standardErrorIsTerminal = isatty(STDERR_FILENO) != 0

  /// What starts every error line.
  static let errorPrefix = "mixer-convert: error: "

  /// Prints an error line: `mixer-convert: error: …`, on one line whatever the message holds.
  static func error(_ message: String) {
    standardError(errorPrefix + oneLine(message))
  }

  /// What starts every note line on standard error.
  static let notePrefix = "mixer-convert: note: "

  /// What starts every warning line.
  static let warningPrefix = "mixer-convert: warning: "

  /// Prints a note on standard error, apart from the results: `mixer-convert: note: …`.
  static func note(_ message: String) {
    standardError(notePrefix + oneLine(message))
  }

  /// Prints a warning line: `mixer-convert: warning: …`.
  static func warning(_ message: String) {
    standardError(warningPrefix + oneLine(message))
  }

  /// Warns that the values of `input` leave the export's input contract, when they do.
  static func warnOutsideRange(_ outside: InputOutsideRange?, input: String) {
    guard let outside else { return }
    warning("\(input): \(outside.sentence) (inspect shows the export's preprocessing)")
  }

  /// `text` with its control characters escaped (`\n`, `\t`, `\u{1b}`): a file name holding a
  /// newline or a terminal escape cannot split a message or act on the terminal.
  static func oneLine(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\n": escaped += "\\n"
      case "\r": escaped += "\\r"
      case "\t": escaped += "\\t"
      case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
        escaped += "\\u{" + String(scalar.value, radix: 16) + "}"
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }

  /// Prints a line of a text report on standard output, its control characters escaped (see
  /// ``oneLine(_:)``): names from the command line or from a file (an image's, a tensor's, a
  /// label) cannot split a line or act on the terminal.
  static func line(_ text: String) { print(oneLine(text)) }

  /// Prints a line to standard error.
  static func standardError(_ line: String) { writeStandardError(line + "\n") }

  /// Writes `text` to standard error; when it cannot be written (a full disk under `2> log`, a
  /// closed descriptor), it is lost and the program goes on to its own exit status.
  static func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    csupport_write_standard_error(&bytes, bytes.count)
  }

  /// Whether a JSON document went to standard output (an error then stays on standard error,
  /// so that standard output holds one document).
  nonisolated(unsafe) private(set) static var printedJSON = false

  /// How JSON output spells an infinite or NaN figure (a drift of infinity, say).
  static let nonFiniteEncoding = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  /// How such a figure is read back (a child conversion's summary).
  static let nonFiniteDecoding = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

  /// Writes an encodable value as pretty JSON with sorted keys on standard output.
  static func printJSON<T: Encodable>(_ value: T) throws {
    printedJSON = true
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = nonFiniteEncoding
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }
}
