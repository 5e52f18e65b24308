/// How far an export's outputs may drift from the original's.
///
/// An output passes when `max |export − original| ≤ atol + rtol · max |original|`: an absolute
/// floor plus a part relative to the output's own scale.
public struct Tolerance: Codable, Equatable, Sendable {
  public var atol: Double
  public var rtol: Double

  public init(atol: Double, rtol: Double) {
    self.atol = atol
    self.rtol = rtol
  }

  /// The largest difference allowed for outputs whose largest magnitude is `scale`.
  public func bound(scale: Double) -> Double { atol + rtol * scale }
}
