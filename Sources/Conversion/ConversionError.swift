import Checkpoint
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

extension ConversionError {
  /// `count` values of `tensor` of `path` are beyond `dtype`'s range; a narrower dtype than
  /// float32 names a wider one as the remedy.
  static func overflow(_ path: String, _ count: Int, tensor: String, as dtype: DType) -> ConversionError {
    ConversionError(
      path: path, reason: ElementConversion.overflowReason(count, tensor: tensor, as: dtype),
      remedy: dtype.itemSize < 4 ? .chooseWiderDType : nil)
  }
}
