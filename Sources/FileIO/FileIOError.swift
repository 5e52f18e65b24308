import Foundation

/// A failure to create, write or move an output, named by its path.
public struct FileIOError: RemediableError, Equatable, Sendable, CustomStringConvertible {
  /// The path being written.
  public let path: String
  /// What went wrong.
  public let reason: String
  public let remedy: Remedy?
  /// The limit a file's size passed, when that is what went wrong (a reader may word it its own way).
  public let exceededLimit: Int?

  public init(path: String, reason: String, remedy: Remedy? = nil, exceededLimit: Int? = nil) {
    self.path = path
    self.reason = reason
    self.remedy = remedy
    self.exceededLimit = exceededLimit
  }

  /// An error carrying the message of the current `errno`.
  static func system(_ path: String, _ action: String) -> FileIOError {
    FileIOError(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
  }

  public var description: String { "\(path): \(reason)" }

  /// The system's words for what Foundation reports as `error` (its underlying POSIX error:
  /// "File name too long", "Argument list too long"), else its localized description.
  public static func systemReason(of error: any Error) -> String {
    guard let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error,
      (underlying as NSError).domain == NSPOSIXErrorDomain
    else { return error.localizedDescription }
    return String(cString: strerror(Int32((underlying as NSError).code)))
  }
}
