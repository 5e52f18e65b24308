extension Compute {
  /// The token-mixing MLP of an MLP-Mixer block with its residual add, over a batch, with no
  /// transpose: for each sample, `residual += W2ᵀ · gelu(W1ᵀ · X + b1) + b2`, where `X` is the
  /// sample's normalised `(T, C)` tokens.
  ///
  /// This is Flax's `x + (gelu(yᵀ · W1 + b1) · W2 + b2)ᵀ` with both products transposed, so
  /// tokens stay the rows: the weights are the pre-packed left operands (`fc1` from
  /// `packLeft(transposing:)` of the `(T, H)` kernel, `fc2` of the `(H, T)` kernel), the
  /// activations are read row-major, the biases are per row, and the second product adds
  /// straight into the residual stream. Each product is one parallel region over the batch
  /// (see ``gemm(_:_:into:samples:bSampleStride:cSampleStride:accumulate:rowBias:gelu:)``).
  ///
  /// - Parameters:
  ///   - normalized: `(N, T, C)`, the block's LayerNorm output.
  ///   - residual: `(N, T, C)`, the block's input; receives the sum.
  public func tokenMixing(_ normalized: Tensor, into residual: inout Tensor, fc1: PackedLeftMatrix, bias1: Tensor,
                          fc2: PackedLeftMatrix, bias2: Tensor) {
    precondition(normalized.rank == 3 && residual.shape == normalized.shape, "tokenMixing: shapes \(normalized.shape), \(residual.shape)")
    let (n, t, c) = (normalized.shape[0], normalized.shape[1], normalized.shape[2])
    let hidden = fc1.rows
    precondition(fc1.columns == t && fc2.rows == t && fc2.columns == hidden && bias1.count == hidden && bias2.count == t,
                 "tokenMixing: \(t) tokens, weights \(fc1.rows)×\(fc1.columns) and \(fc2.rows)×\(fc2.columns)")
    var mixed = Tensor(shape: [n, hidden, c], unsafeUninitialized: { _ in })
    mixed.scalars.withUnsafeMutableBufferPointer { ph in
      normalized.scalars.withUnsafeBufferPointer { px in
        bias1.scalars.withUnsafeBufferPointer { pb in
          gemm(fc1, MatrixView(rowMajor: px.baseAddress!, rows: t, columns: c),
               into: MutableMatrixView(ph.baseAddress!, rows: hidden, columns: c), samples: n, bSampleStride: t * c,
               cSampleStride: hidden * c, rowBias: pb.baseAddress, gelu: true)
        }
      }
    }
    residual.scalars.withUnsafeMutableBufferPointer { pr in
      mixed.scalars.withUnsafeBufferPointer { ph in
        bias2.scalars.withUnsafeBufferPointer { pb in
          gemm(fc2, MatrixView(rowMajor: ph.baseAddress!, rows: hidden, columns: c),
               into: MutableMatrixView(pr.baseAddress!, rows: t, columns: c), samples: n, bSampleStride: hidden * c,
               cSampleStride: t * c, accumulate: true, rowBias: pb.baseAddress)
        }
      }
    }
  }
}
