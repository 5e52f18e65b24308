/// A checkpoint that cannot be converted or verified as asked; one line naming the file.
public struct ConversionError: Error, Equatable, Sendable, CustomStringConvertible {
  public let path: String
  public let reason: String
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }
}
