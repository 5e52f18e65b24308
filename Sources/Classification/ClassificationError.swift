import FileIO

/// An export or a request `classify` cannot serve: an input contract it cannot follow, a
/// head that classifies every token, an output that does not fit the export's kind.
public struct ClassificationError: RemediableError, Equatable, Sendable, CustomStringConvertible {
  public let reason: String
  public let remedy: Remedy?
  public init(_ reason: String, remedy: Remedy? = nil) {
    self.reason = reason
    self.remedy = remedy
  }
  public var description: String { reason }
}
