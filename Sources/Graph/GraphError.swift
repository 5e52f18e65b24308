/// A graph that cannot be run, or an input it cannot take; one line that names the node.
public struct GraphError: Error, Equatable, Sendable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
