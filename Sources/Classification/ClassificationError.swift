/// An export or a request `classify` cannot serve: an input contract it cannot follow, a
/// head that classifies every token, an output that does not fit the export's kind.
public struct ClassificationError: Error, Equatable, Sendable, CustomStringConvertible {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
