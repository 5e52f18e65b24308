extension Compute {
  /// The token-mixing MLP of an MLP-Mixer block with its residual add, over a batch, with no
  /// transpose: for each sample, `residual += W2ᵀ · gelu(W1ᵀ · X + b1) + b2`, where `X` is the
  /// sample's normalised `(T, C)` tokens.
  ///
  /// This is Flax's `x + (gelu(yᵀ · W1 + b1) · W2 + b2)ᵀ` with both products transposed, so
  /// tokens stay the rows: the weights are pre-packed left operands (`fc1` from
  /// `packLeft(transposing:)` of the `(T, H)` kernel, `fc2` of the `(H, T)` kernel), the
  /// activations are read row-major, the biases are per row, and the second product adds
  /// straight into the residual stream. Channels do not mix, so the work splits into (sample,
  /// column chunk) units, each running both products on its chunk with the hidden `(H, chunk)`
  /// values kept in a per-thread buffer (in L2) — one parallel region for the whole MLP, no
  /// hidden tensor, no synchronisation between the products. The result does not depend on
  /// the thread count.
  ///
  /// - Parameters:
  ///   - normalized: `(N, T, C)`, the block's LayerNorm output.
  ///   - residual: `(N, T, C)`, the block's input; receives the sum.
  public func tokenMixing(
    _ normalized: Tensor, into residual: inout Tensor, fc1: PackedLeftMatrix, bias1: Tensor,
    fc2: PackedLeftMatrix, bias2: Tensor
  ) {
    precondition(
      normalized.rank == 3 && residual.shape == normalized.shape,
      "tokenMixing: shapes \(normalized.shape), \(residual.shape)")
    precondition(fc1.path == path && fc2.path == path, "tokenMixing: weights packed for another kernel path")
    let (n, t, c) = (normalized.shape[0], normalized.shape[1], normalized.shape[2])
    let hidden = fc1.rows
    precondition(
      fc1.columns == t && fc2.rows == t && fc2.columns == hidden && bias1.count == hidden && bias2.count == t,
      "tokenMixing: \(t) tokens, weights \(fc1.rows)×\(fc1.columns) and \(fc2.rows)×\(fc2.columns)")
    guard n > 0, c > 0 else { return }
    let table = table
    let chunk = tokenMixingChunk(samples: n, columns: c)
    let chunks = (c + chunk - 1) / chunk
    let (w1, w2) = (SharedPointer(fc1.storage), SharedPointer(fc2.storage))
    let minimumUnits = max(1, Self.minimumMultiplyAddsPerThread / max(1, 2 * hidden * t * chunk))
    normalized.scalars.withUnsafeBufferPointer { px in
      residual.scalars.withUnsafeMutableBufferPointer { pr in
        bias1.scalars.withUnsafeBufferPointer { pb1 in
          bias2.scalars.withUnsafeBufferPointer { pb2 in
            let (x, out) = (
              SharedPointer(UnsafeMutablePointer(mutating: px.baseAddress!)), SharedPointer(pr.baseAddress!)
            )
            let (b1, b2) = (
              SharedPointer(UnsafeMutablePointer(mutating: pb1.baseAddress!)),
              SharedPointer(UnsafeMutablePointer(mutating: pb2.baseAddress!))
            )
            parallelRanges(n * chunks, minimumPerPart: minimumUnits) { units in
              WorkspacePool.shared.with(table.workspaceCount + hidden * chunk) { workspace in
                let mixed = workspace + table.workspaceCount
                for unit in units {
                  let (sample, first) = (unit / chunks, unit % chunks * chunk)
                  let width = min(chunk, c - first)
                  let offset = sample * t * c + first
                  table.gemmPackedA(
                    hidden, width, t, w1.pointer, x.pointer + offset, c, 1, mixed, chunk,
                    false, b1.pointer, true, workspace)
                  table.gemmPackedA(
                    t, width, hidden, w2.pointer, mixed, chunk, 1, out.pointer + offset, c,
                    true, b2.pointer, false, workspace)
                }
              }
            }
          }
        }
      }
    }
  }

  /// Columns per unit of ``tokenMixing(_:into:fc1:bias1:fc2:bias2:)``: about 256 (the hidden
  /// chunk then stays in L2), whole micro-panels, and when the batch is smaller than the thread
  /// count, enough chunks per sample to give every thread an equal share.
  func tokenMixingChunk(samples: Int, columns: Int) -> Int {
    var perSample = max(1, (columns + 255) / 256)
    if samples < threads {
      let share = (threads + samples - 1) / samples
      perSample = (perSample + share - 1) / share * share
    }
    let nr = table.tile.columns
    return max(nr, ((columns + perSample - 1) / perSample + nr - 1) / nr * nr)
  }
}
