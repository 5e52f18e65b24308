/// Padding of a convolution or pooling window, with the XLA/TensorFlow conventions.
public enum Padding: String, Sendable, Codable {
  /// `out = ceil(n / stride)`; the padding `max((out − 1)·stride + k − n, 0)` is split with the
  /// extra element at the end (bottom / right).
  case same = "SAME"
  /// No padding; `out = floor((n − k) / stride) + 1`.
  case valid = "VALID"

  /// Output length and padding before and after, for one spatial dimension.
  public func window(input n: Int, kernel k: Int, stride: Int) -> (output: Int, before: Int, after: Int) {
    switch self {
    case .same:
      let output = (n + stride - 1) / stride
      let total = max((output - 1) * stride + k - n, 0)
      return (output, total / 2, total - total / 2)
    case .valid:
      return (n >= k ? (n - k) / stride + 1 : 0, 0, 0)
    }
  }
}
