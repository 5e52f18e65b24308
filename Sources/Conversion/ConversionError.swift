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
  /// `count` values of `tensor` of `path` are beyond `dtype`'s range. A dtype narrower than
  /// float32 names a wider one as the remedy, unless `beyondFloat32` (given for a narrower
  /// dtype only: a float64 tensor's values float32 cannot hold either), when the reason says
  /// no dtype can.
  static func overflow(
    _ path: String, _ count: Int, tensor: String, as dtype: DType, beyondFloat32: Bool = false
  ) -> ConversionError {
    let reason = ElementConversion.overflowReason(count, tensor: tensor, as: dtype)
    guard beyondFloat32 else {
      return ConversionError(path: path, reason: reason, remedy: dtype.itemSize < 4 ? .chooseWiderDType : nil)
    }
    let float32 = DType.float32.largestFinite.map { String(format: "%g", $0) } ?? "?"
    return ConversionError(
      path: path, reason: reason + "; float32 cannot hold them either (±\(float32)), so no --dtype can")
  }
}
