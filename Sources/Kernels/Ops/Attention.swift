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
    var scaled = query
    return Tensor(shape: query.shape) { out in
      scaled.scalars.withUnsafeMutableBufferPointer { q in
        key.scalars.withUnsafeBufferPointer { k in
          value.scalars.withUnsafeBufferPointer { v in
            attention(
              q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, rowStride: width, samples: n, tokens: t,
              queries: 0..<t, width: width, heads: heads, into: out.baseAddress!)
          }
        }
      }
    }
  }

  /// Attention over a fused projection: `qkv` is (N, T, 3·W) holding the query, key and value
  /// side by side (each head-major, W = heads × head width). The queries read are scaled in
  /// place. Returns (N, T, W), or with `queryToken` the attention of that one token over all
  /// of them, (N, W): the same values as its row of the whole result.
  public func attention(fused qkv: inout Tensor, heads: Int, queryToken: Int? = nil) -> Tensor {
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "attention: fused projection must be (N, T, 3·W)")
    let (n, t, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    precondition(queryToken.map { 0 <= $0 && $0 < t } ?? true, "attention: query token outside \(t) tokens")
    let queries = queryToken.map { $0..<($0 + 1) } ?? 0..<t
    return Tensor(shape: queryToken == nil ? [n, t, width] : [n, width]) { out in
      qkv.scalars.withUnsafeMutableBufferPointer { p in
        let base = p.baseAddress!
        attention(
          q: base, k: base + width, v: base + 2 * width, rowStride: 3 * width, samples: n, tokens: t,
          queries: queries, width: width, heads: heads, into: out.baseAddress!)
      }
    }
  }

  /// The attention core on strided rows: token `i` of sample `s` starts at `(s·T + i)·rowStride`
  /// in each of `q`, `k` and `v`; the output is (N, queries, width) row-major, the attention of
  /// the tokens `queries` over every token. Work is split over (sample, head) pairs; each
  /// scales its queries in place by `1/√D` first (as Flax scales the query before the product).
  func attention(
    q: UnsafeMutablePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, rowStride: Int,
    samples n: Int, tokens t: Int, queries: Range<Int>, width: Int, heads: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    precondition(width % heads == 0, "attention: \(heads) heads do not divide \(width)")
    let headWidth = width / heads
    let table = table
    let factor = 1 / Float(headWidth).squareRoot()
    let (pq, pk, pv) = (
      SharedPointer(q), SharedPointer(UnsafeMutablePointer(mutating: k)),
      SharedPointer(UnsafeMutablePointer(mutating: v))
    )
    let po = SharedPointer(output)
    parallel(n * heads) { job in
      let (sample, head) = (job / heads, job % heads)
      let input = sample * t * rowStride + head * headWidth
      let rows = queries.count
      for token in queries {
        let row = pq.pointer + input + token * rowStride
        for j in 0..<headWidth { row[j] *= factor }
      }
      WorkspacePool.shared.with(table.workspaceCount + rows * t) { workspace in
        let logits = workspace + table.workspaceCount
        // logits (Q×T) = q_h (Q×D) · k_hᵀ (D×T).
        table.gemm(
          rows, t, headWidth, pq.pointer + input + queries.lowerBound * rowStride, rowStride, 1,
          pk.pointer + input, 1, rowStride, logits, t, false, nil, false, workspace)
        table.softmax(logits, rows, t)
        // out_h (Q×D) = weights (Q×T) · v_h (T×D), written into the head's columns.
        table.gemm(
          rows, headWidth, t, logits, t, 1, pv.pointer + input, rowStride, 1,
          po.pointer + sample * rows * width + head * headWidth, width, false, nil, false, workspace)
      }
    }
  }
}
