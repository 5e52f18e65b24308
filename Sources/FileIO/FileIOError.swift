import Foundation

/// A failure to create, write or move an output, named by its path.
public struct FileIOError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The path being written.
  public let path: String
  /// What went wrong.
  public let reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  /// An error carrying the message of the current `errno`.
  static func system(_ path: String, _ action: String) -> FileIOError {
    FileIOError(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
  }

  public var description: String { "\(path): \(reason)" }
}
