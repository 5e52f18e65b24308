/// An export that cannot be read or written; one line naming the file and, where there is
/// one, the tensor.
public struct ExportFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file or folder concerned.
  public let path: String
  /// The tensor concerned, if any.
  public let tensor: String?
  /// What is wrong.
  public let reason: String

  public init(path: String, tensor: String? = nil, reason: String) {
    self.path = path
    self.tensor = tensor
    self.reason = reason
  }

  public var description: String {
    if let tensor { return "\(path): tensor '\(tensor)': \(reason)" }
    return "\(path): \(reason)"
  }
}
