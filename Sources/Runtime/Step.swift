import Kernels

/// One step of an ``ExecutionPlan``: an operation, possibly several graph nodes fused.
public enum Step: @unchecked Sendable {
  case conv2D(
    output: String, input: String, kernel: PackedMatrix, kernelSize: (Int, Int), bias: Tensor?, stride: Int,
    padding: Padding)
  case reshape(output: String, input: String, shape: [Int])
  case layerNorm(output: String, input: String, scale: Tensor, bias: Tensor, epsilon: Float)
  case transpose(output: String, input: String, permutation: [Int])
  /// `x · kernel + bias`, then GELU if `gelu`; with `transposedInput` the input's last two
  /// axes are read swapped (a folded Transpose); with `accumulateOnto` the result is added
  /// into that value's buffer (a folded residual Add), which becomes the output.
  case dense(
    output: String, input: String, transposedInput: Bool, kernel: PackedMatrix, bias: Tensor?, gelu: Bool,
    accumulateOnto: String?)
  case gelu(output: String, input: String, approximation: GELUApproximation)
  case add(output: String, a: String, b: String)
  /// `a + bᵀ` (last two axes of `b` swapped), computed in `a`'s buffer (a folded Transpose and Add).
  case addTransposed(output: String, a: String, b: String)
  case mean(output: String, input: String, axis: Int)
  case classToken(output: String, input: String, token: Tensor)
  case positionEmbedding(output: String, input: String, embedding: Tensor)
  /// The query, key and value projections as one product with `qkv` (D, 3D), attention, and
  /// the output projection, added into `accumulateOnto` when given (a folded residual Add).
  /// With `queryToken`, only that token's query, attention and output projection: (N, D) (a
  /// folded SelectToken; every token's keys and values are still projected).
  case attention(
    output: String, input: String, qkv: PackedMatrix, qkvBias: Tensor, out: PackedMatrix, outBias: Tensor,
    heads: Int, accumulateOnto: String?, queryToken: Int?)
  case selectToken(output: String, input: String, index: Int)
  case tanh(output: String, input: String)
  case relu(output: String, input: String)
  /// GroupNorm, followed by ReLU when `relu` (a folded ReLU node).
  case groupNorm(output: String, input: String, scale: Tensor, bias: Tensor, groups: Int, epsilon: Float, relu: Bool)
  case maxPool(output: String, input: String, window: Int, stride: Int, padding: Padding)
  /// `a op b` elementwise with NumPy broadcasting.
  case binary(output: String, a: String, b: String, operation: BinaryOperation)
  /// The square root of every element.
  case squareRoot(output: String, input: String)
  /// Softmax over the last axis.
  case softmax(output: String, input: String)
  /// Matrix products over the last two axes of two values with equal leading axes.
  case matmul(output: String, a: String, b: String)
  /// The mean over `axes`, kept as length-1 axes when `keepDimensions`.
  case reduceMean(output: String, input: String, axes: [Int], keepDimensions: Bool)
  /// Zeros added before and after each axis.
  case pad(output: String, input: String, before: [Int], after: [Int])
  /// An MLP-Mixer token-mixing block, fused: `residual + (fc2ᵀ · gelu(fc1ᵀ · x + b1) + b2)` with
  /// tokens as rows — the Transpose, Dense, GELU, Dense, Transpose and residual Add of the
  /// graph, computed in `residual`'s buffer.
  case tokenMixing(
    output: String, residual: String, input: String, fc1: PackedLeftMatrix, bias1: Tensor,
    fc2: PackedLeftMatrix, bias2: Tensor)

  /// The value the step computes.
  public var output: String {
    switch self {
    case .conv2D(let o, _, _, _, _, _, _), .reshape(let o, _, _), .layerNorm(let o, _, _, _, _),
      .transpose(let o, _, _),
      .dense(let o, _, _, _, _, _, _), .gelu(let o, _, _), .add(let o, _, _), .addTransposed(let o, _, _),
      .mean(let o, _, _), .classToken(let o, _, _), .positionEmbedding(let o, _, _),
      .attention(let o, _, _, _, _, _, _, _, _), .selectToken(let o, _, _), .tanh(let o, _), .relu(let o, _),
      .groupNorm(let o, _, _, _, _, _, _), .maxPool(let o, _, _, _, _), .binary(let o, _, _, _), .squareRoot(let o, _),
      .softmax(let o, _), .matmul(let o, _, _), .reduceMean(let o, _, _, _), .pad(let o, _, _, _),
      .tokenMixing(let o, _, _, _, _, _, _):
      o
    }
  }

  /// The values the step reads.
  public var inputs: [String] {
    switch self {
    case .conv2D(_, let i, _, _, _, _, _), .reshape(_, let i, _), .layerNorm(_, let i, _, _, _),
      .transpose(_, let i, _),
      .gelu(_, let i, _), .mean(_, let i, _), .classToken(_, let i, _), .positionEmbedding(_, let i, _),
      .selectToken(_, let i, _), .tanh(_, let i), .relu(_, let i), .groupNorm(_, let i, _, _, _, _, _),
      .maxPool(_, let i, _, _, _), .squareRoot(_, let i), .softmax(_, let i), .reduceMean(_, let i, _, _),
      .pad(_, let i, _, _):
      [i]
    case .dense(_, let i, _, _, _, _, let onto), .attention(_, let i, _, _, _, _, _, let onto, _):
      [i] + (onto.map { [$0] } ?? [])
    case .add(_, let a, let b), .addTransposed(_, let a, let b), .binary(_, let a, let b, _), .matmul(_, let a, let b),
      .tokenMixing(_, let a, let b, _, _, _, _):
      [a, b]
    }
  }
}
