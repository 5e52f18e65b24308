extension Compute {
  /// Multi-head dot-product attention without mask.
  ///
  /// `query`, `key` and `value` have shape (N, T, H·D) with heads outermost in the last axis
  /// (head `h` occupies columns `h·D ..< (h+1)·D`). For each sample and head:
  /// `softmax((q / √D) · kᵀ) · v`, the softmax over keys; the query is scaled before the
  /// product, as Flax does. Returns (N, T, H·D) in the same head-major layout.
  public func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int) -> Tensor {
    precondition(query.rank == 3 && query.shape == key.shape && key.shape == value.shape, "attention: shapes differ")
    let (n, t, width) = (query.shape[0], query.shape[1], query.shape[2])
    precondition(width % heads == 0, "attention: \(heads) heads do not divide \(width)")
    let headWidth = width / heads
    let scaled = scale(query, by: 1 / Float(headWidth).squareRoot())
    let table = table
    return Tensor(shape: query.shape) { out in
      scaled.scalars.withUnsafeBufferPointer { q in
        key.scalars.withUnsafeBufferPointer { k in
          value.scalars.withUnsafeBufferPointer { v in
            let (pq, pk, pv) = (SharedPointer(UnsafeMutablePointer(mutating: q.baseAddress!)),
                                SharedPointer(UnsafeMutablePointer(mutating: k.baseAddress!)),
                                SharedPointer(UnsafeMutablePointer(mutating: v.baseAddress!)))
            let po = SharedPointer(out.baseAddress!)
            parallel(n * heads) { job in
              let (sample, head) = (job / heads, job % heads)
              let offset = sample * t * width + head * headWidth
              WorkspacePool.shared.with(table.workspaceCount + t * t) { workspace in
                let logits = workspace + table.workspaceCount
                // logits (T×T) = q_h (T×D, row stride `width`) · k_hᵀ (D×T).
                table.gemm(t, t, headWidth, pq.pointer + offset, width, 1, pk.pointer + offset, 1, width,
                           logits, t, false, nil, false, workspace)
                table.softmax(logits, t, t)
                // out_h (T×D) = weights (T×T) · v_h (T×D), written into the head's columns.
                table.gemm(t, headWidth, t, logits, t, 1, pv.pointer + offset, width, 1,
                           po.pointer + offset, width, false, nil, false, workspace)
              }
            }
          }
        }
      }
    }
  }
}
