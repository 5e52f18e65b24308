/// Which form of GELU a layer computes.
public enum GELUApproximation: String, Sendable, Codable {
  /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` — Flax's default, used by every original model.
  case tanh
  /// `0.5·x·(1 + erf(x/√2))`.
  case none
}
