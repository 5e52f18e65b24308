extension Compute {
  /// Work below this many multiply-adds per thread stays on one thread.
  static let minimumMultiplyAddsPerThread = 1 << 20

  /// `C (+)= A · B` for strided views: `A` is `m × k`, `B` is `k × n`, `C` is `m × n`.
  ///
  /// The product is split over threads along whichever of M and N has more micro-tiles, each
  /// part a complete blocked GEMM with its own packing buffers; parts are aligned to the
  /// micro-kernel tile.
  ///
  /// - Parameter accumulate: add to `C` instead of overwriting it.
  public func gemm(_ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool = false) {
    precondition(a.columns == b.rows && a.rows == c.rows && b.columns == c.columns,
                 "gemm shapes \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns) → \(c.rows)×\(c.columns)")
    let (m, n, k) = (a.rows, b.columns, a.columns)
    guard m > 0, n > 0 else { return }
    let table = table
    let (mr, nr) = table.tile
    let work = m * n * max(k, 1)
    let parts = max(1, min(threads, work / Self.minimumMultiplyAddsPerThread))
    let tilesM = (m + mr - 1) / mr
    let tilesN = (n + nr - 1) / nr
    let splitRows = tilesM > tilesN
    let units = splitRows ? tilesM : tilesN
    let count = min(parts, units)
    parallel(count) { part in
      let first = units * part / count
      let last = units * (part + 1) / count
      WorkspacePool.shared.with(table.workspaceCount) { workspace in
        if splitRows {
          let i0 = first * mr
          let i1 = min(m, last * mr)
          table.gemm(i1 - i0, n, k, a.base + i0 * a.rowStride, a.rowStride, a.columnStride,
                     b.base, b.rowStride, b.columnStride, c.base + i0 * c.rowStride, c.rowStride, accumulate, workspace)
        } else {
          let j0 = first * nr
          let j1 = min(n, last * nr)
          table.gemm(m, j1 - j0, k, a.base, a.rowStride, a.columnStride,
                     b.base + j0 * b.columnStride, b.rowStride, b.columnStride, c.base + j0, c.rowStride, accumulate,
                     workspace)
        }
      }
    }
  }

  /// The product of two matrices (rank-2 tensors), optionally transposed first.
  public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul takes matrices")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == k2, "matmul inner dimensions \(k) and \(k2) differ")
    return Tensor(shape: [m, n]) { out in
      a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
          var viewA = MatrixView(rowMajor: pa.baseAddress!, rows: a.shape[0], columns: a.shape[1])
          var viewB = MatrixView(rowMajor: pb.baseAddress!, rows: b.shape[0], columns: b.shape[1])
          if transposeA { viewA = viewA.transposed }
          if transposeB { viewB = viewB.transposed }
          gemm(viewA, viewB, into: MutableMatrixView(out.baseAddress!, rows: m, columns: n))
        }
      }
    }
  }

  /// A Dense layer over the last axis: `x · kernel + bias`, with `kernel` of shape (in, out).
  public func dense(_ x: Tensor, kernel: Tensor, bias: Tensor?) -> Tensor {
    let inputs = kernel.shape[0]
    let outputs = kernel.shape[1]
    precondition(x.shape.last == inputs, "dense: input width \(x.shape.last ?? 0), kernel \(kernel.shape)")
    let rows = x.count / inputs
    return Tensor(shape: x.shape.dropLast() + [outputs]) { out in
      if let bias {
        precondition(bias.count == outputs)
        for r in 0..<rows { (out.baseAddress! + r * outputs).initialize(from: bias.scalars, count: outputs) }
      }
      x.scalars.withUnsafeBufferPointer { px in
        kernel.scalars.withUnsafeBufferPointer { pk in
          gemm(MatrixView(rowMajor: px.baseAddress!, rows: rows, columns: inputs),
               MatrixView(rowMajor: pk.baseAddress!, rows: inputs, columns: outputs),
               into: MutableMatrixView(out.baseAddress!, rows: rows, columns: outputs), accumulate: bias != nil)
        }
      }
    }
  }

  /// Multiply-adds per second of one thread's FMA units, from a tight loop of independent
  /// vector FMAs (the machine's peak for this kernel path).
  public func measureFMAPeak(iterations: Int = 50_000_000) -> (multiplyAdds: Int, result: Float) {
    (iterations * table.fmaPeakMultiplyAddsPerIteration, table.fmaPeak(iterations))
  }
}
