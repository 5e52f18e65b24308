import Kernels

extension Step {
  /// The step's value computed from `values` alone (constant folding): a step that
  /// accumulates onto a buffer takes a copy.
  public func evaluate(reading values: [String: Tensor], compute: Compute) -> Tensor {
    var copy = values
    return evaluate(&copy, compute: compute)
  }

  /// The step's value from the values it reads, which may give up a buffer it accumulates onto.
  func evaluate(_ values: inout [String: Tensor], compute: Compute) -> Tensor {
    switch self {
    case .conv2D(_, let input, let kernel, let size, let bias, let stride, let padding):
      return compute.conv2d(
        values[input]!, packedKernel: kernel, kernelSize: size, bias: bias, stride: stride,
        padding: padding)
    case .reshape(_, let input, let shape):
      let x = values[input]!
      return x.reshaped([x.shape[0]] + shape.dropFirst())
    case .layerNorm(_, let input, let scale, let bias, let epsilon):
      return compute.layerNorm(values[input]!, scale: scale, bias: bias, epsilon: epsilon)
    case .transpose(_, let input, let permutation):
      return compute.permute(values[input]!, permutation)
    case .dense(_, let input, let transposed, let kernel, let bias, let gelu, let onto):
      let x = values[input]!
      var target = onto.map { values.removeValue(forKey: $0)! }
      return Self.dense(
        x, transposed: transposed, kernel: kernel, bias: bias, gelu: gelu, onto: &target, compute: compute)
    case .gelu(_, let input, let approximation):
      return compute.gelu(values[input]!, approximation: approximation)
    case .add(_, let a, let b):
      return compute.add(values[a]!, values[b]!)
    case .addTransposed(_, let a, let b):
      var target = values.removeValue(forKey: a)!
      compute.addTransposed(values[b]!, into: &target)
      return target
    case .mean(_, let input, let axis):
      return compute.mean(values[input]!, axis: axis)
    case .classToken(_, let input, let token):
      return compute.prependToken(values[input]!, token: token)
    case .positionEmbedding(_, let input, let embedding):
      return compute.addToEverySample(values[input]!, embedding)
    case .attention(_, let input, let qkv, let qkvBias, let out, let outBias, let heads, let onto, let queryToken):
      var projected = Self.projection(values[input]!, qkv: qkv, bias: qkvBias, queryToken: queryToken, compute: compute)
      let attended = compute.attention(fused: &projected, heads: heads, queryToken: queryToken)
      var target = onto.map { values.removeValue(forKey: $0)! }
      return Self.dense(
        attended, transposed: false, kernel: out, bias: outBias, gelu: false, onto: &target, compute: compute)
    case .selectToken(_, let input, let index):
      return compute.selectToken(values[input]!, index: index)
    case .tanh(_, let input):
      return compute.tanh(values[input]!)
    case .relu(_, let input):
      return compute.relu(values[input]!)
    case .groupNorm(_, let input, let scale, let bias, let groups, let epsilon, let relu):
      let y = compute.groupNorm(values[input]!, groups: groups, scale: scale, bias: bias, epsilon: epsilon)
      return relu ? compute.relu(y) : y
    case .maxPool(_, let input, let window, let stride, let padding):
      return compute.maxPool(values[input]!, window: window, stride: stride, padding: padding)
    case .binary(_, let a, let b, let operation):
      return compute.binary(values[a]!, values[b]!, operation)
    case .squareRoot(_, let input):
      return compute.squareRoot(values[input]!)
    case .softmax(_, let input):
      return compute.softmax(values[input]!)
    case .matmul(_, let a, let b):
      return compute.batchedMatmul(values[a]!, values[b]!)
    case .reduceMean(_, let input, let axes, let keepDimensions):
      return compute.mean(values[input]!, axes: axes, keepDimensions: keepDimensions)
    case .pad(_, let input, let before, let after):
      return compute.pad(values[input]!, before: before, after: after)
    case .tokenMixing(_, let residual, let input, let fc1, let bias1, let fc2, let bias2):
      var target = values.removeValue(forKey: residual)!
      compute.tokenMixing(values[input]!, into: &target, fc1: fc1, bias1: bias1, fc2: fc2, bias2: bias2)
      return target
    }
  }

  /// The query, key and value projections of `x` (N, T, D) with `qkv` (D, 3D): (N, T, 3D).
  /// With `queryToken`, the queries of that token only (the attention reads no other), when
  /// the keys start on a packed panel of `qkv`; the other tokens' queries are left unset.
  private static func projection(
    _ x: Tensor, qkv: PackedMatrix, bias: Tensor, queryToken: Int?, compute: Compute
  ) -> Tensor {
    let width = qkv.columns / 3
    guard let token = queryToken, width % compute.columnAlignment == 0 else {
      var nothing: Tensor?
      return dense(x, transposed: false, kernel: qkv, bias: bias, gelu: false, onto: &nothing, compute: compute)
    }
    let (n, t, d) = (x.shape[0], x.shape[1], x.shape[2])
    var out = Tensor(shape: [n, t, 3 * width], unsafeUninitialized: { _ in })
    out.scalars.withUnsafeMutableBufferPointer { po in
      x.scalars.withUnsafeBufferPointer { px in
        bias.scalars.withUnsafeBufferPointer { pb in
          // Keys and values of every token.
          compute.gemm(
            MatrixView(rowMajor: px.baseAddress!, rows: n * t, columns: d), qkv, columns: width..<(3 * width),
            into: MutableMatrixView(po.baseAddress! + width, rows: n * t, columns: 2 * width, rowStride: 3 * width),
            bias: pb.baseAddress! + width)
          // The query of the selected token of each sample.
          compute.gemm(
            MatrixView(px.baseAddress! + token * d, rows: n, columns: d, rowStride: t * d), qkv, columns: 0..<width,
            into: MutableMatrixView(
              po.baseAddress! + token * 3 * width, rows: n, columns: width, rowStride: t * 3 * width),
            bias: pb.baseAddress!)
        }
      }
    }
    return out
  }

  /// A Dense step: per sample when the input is read transposed; into `onto` when given.
  private static func dense(
    _ x: Tensor, transposed: Bool, kernel: PackedMatrix, bias: Tensor?, gelu: Bool,
    onto: inout Tensor?, compute: Compute
  ) -> Tensor {
    // Rows of the product per sample and the view of one sample's input.
    let samples = transposed ? x.shape[0] : 1
    let rows = transposed ? x.shape[2] : x.count / kernel.rows
    let shape = transposed ? [x.shape[0], x.shape[2], kernel.columns] : x.shape.dropLast() + [kernel.columns]
    let accumulate = onto != nil
    // Taken out of `onto`, the buffer has one owner and is written in place, not copied.
    var out = onto.take() ?? Tensor(shape: shape, unsafeUninitialized: { _ in })
    precondition(out.shape == shape, "dense: accumulating into \(out.shape), product is \(shape)")
    out.scalars.withUnsafeMutableBufferPointer { po in
      x.scalars.withUnsafeBufferPointer { px in
        withOptionalPointer(bias) { pb in
          for sample in 0..<samples {
            let a =
              transposed
              ? MatrixView(
                px.baseAddress! + sample * x.shape[1] * x.shape[2], rows: rows, columns: kernel.rows,
                rowStride: 1, columnStride: x.shape[2])
              : MatrixView(rowMajor: px.baseAddress!, rows: rows, columns: kernel.rows)
            compute.gemm(
              a, kernel,
              into: MutableMatrixView(
                po.baseAddress! + sample * rows * kernel.columns, rows: rows,
                columns: kernel.columns),
              accumulate: accumulate, bias: pb, gelu: gelu)
          }
        }
      }
    }
    return out
  }
}
