import Foundation

/// A failure to create, write or move an output, named by its path.
public struct FileIOError: RemediableError, Equatable, Sendable, CustomStringConvertible {
  /// The path being written.
  public let path: String
  /// What went wrong.
  public let reason: String
  public let remedy: Remedy?

  public init(path: String, reason: String, remedy: Remedy? = nil) {
    self.path = path
    self.reason = reason
    self.remedy = remedy
  }

  /// An error carrying the message of the current `errno`.
  static func system(_ path: String, _ action: String) -> FileIOError {
    FileIOError(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
  }

  public var description: String { "\(path): \(reason)" }
}
