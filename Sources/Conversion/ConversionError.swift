import FileIO

/// A checkpoint that cannot be converted or verified as asked; one line naming the file.
public struct ConversionError: RemediableError, Equatable, Sendable, CustomStringConvertible {
  public let path: String
  public let reason: String
  public let remedy: Remedy?
  public init(path: String, reason: String, remedy: Remedy? = nil) {
    self.path = path
    self.reason = reason
    self.remedy = remedy
  }
  public var description: String { "\(path): \(reason)" }
}
