import Conversion
import Formats
import Foundation

/// The error line of a failed command, with the flag that helps where the library's error
/// says what went wrong in its own words.
enum ErrorHints {
  static func line(for error: Error) -> String { "\(error)" }
}
