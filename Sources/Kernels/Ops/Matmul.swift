extension Compute {
  /// Work below this many multiply-adds per thread stays on one thread.
  static let minimumMultiplyAddsPerThread = 1 << 20

  /// Packing fewer floats of A than this per thread stays on one thread.
  static let minimumPackedFloatsPerThread = 1 << 16

  /// Rows per thread from which a product with a pre-packed B splits over rows rather than
  /// columns. (Measured when every thread of a column split packed all of A, which it no longer
  /// does: two threads, batch-8 products of 1568 rows, 6–10% faster by rows. Below this, a
  /// thread's rows were about one packed block of A or fewer and the column split as fast.)
  static let rowSplitMinimumRowsPerThread = 384

  /// Parts each thread's share of a product with a pre-packed B is cut into, claimed one by one:
  /// the two vCPUs of a shared host are seldom equally fast for a whole product, and with
  /// halves fixed in advance the faster one waited for the slower. A row part is never shorter
  /// than a packed block of A, so B streams no more often than with halves; column parts share
  /// one packed A (each part reads all of it). No part changes what any element sums.
  static let partsPerThread = 4

  /// The most floats of an operand a product packs whole (32 MiB) for ``packsWholeB(_:_:_:)``.
  static let maximumWholePackedFloats = 1 << 23

  /// Whether `gemm` of an `m × k` and a `k × n` view packs B whole first: with four blocks of
  /// A's rows or more, B spanning more than one packed block of columns, and B and A each
  /// within ``maximumWholePackedFloats`` once packed (threads that split B's columns share one
  /// packed A).
  func packsWholeB(_ m: Int, _ n: Int, _ k: Int) -> Bool {
    k > 0 && m >= 4 * table.blockRows && n >= table.blockColumns * 3 / 2
      && m * k <= Self.maximumWholePackedFloats && table.packedCount(k, n) <= Self.maximumWholePackedFloats
  }

  /// `C (+)= A · B` for strided views: `A` is `m × k`, `B` is `k × n`, `C` is `m × n`.
  ///
  /// When ``packsWholeB(_:_:_:)``, B is packed whole first (the threads taking blocks of its
  /// columns, into memory freed after the product) and the product runs as one with a
  /// pre-packed B, which packs each block of A once rather than once per block of B's columns.
  /// (Zen 3, one thread, three alternated runs each: 2048³ at 90–91 GFLOPS against 78–83,
  /// 1024³ at 84–89 against 78–87, 1568×3072×768 at 83–90 against 82–84; with fewer rows,
  /// 196×3072×768 was no faster, B then streaming once per block of A.)
  /// Otherwise the product is split over threads along whichever of M and N has more
  /// micro-tiles, each part a complete blocked GEMM with its own packing buffers; parts are
  /// aligned to the micro-kernel tile. Either way each value is the same, bit for bit.
  ///
  /// - Parameters:
  ///   - accumulate: add to `C` instead of overwriting it.
  ///   - bias: added to every row of the product (`n` values), after accumulation.
  ///   - gelu: apply GELU (tanh form) last.
  public func gemm(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool = false,
    bias: UnsafePointer<Float>? = nil, gelu: Bool = false
  ) {
    precondition(
      a.columns == b.rows && a.rows == c.rows && b.columns == c.columns,
      "gemm shapes \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns) → \(c.rows)×\(c.columns)")
    let (m, n, k) = (a.rows, b.columns, a.columns)
    guard m > 0, n > 0 else { return }
    if packsWholeB(m, n, k) {
      let count = table.packedCount(k, n)
      let packedB = UnsafeMutableRawPointer.allocate(byteCount: 4 * count, alignment: 64)
        .bindMemory(to: Float.self, capacity: count)
      defer { packedB.deallocate() }
      packWhole(b, into: packedB)
      gemm(
        a, packedB: packedB, columns: 0..<n, totalColumns: n, into: c, accumulate: accumulate, bias: bias, gelu: gelu)
      return
    }
    let table = table
    let (mr, nr) = table.tile
    let biasPointer = bias.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
    splitOverThreads(m, n, k, splitRows: (m + mr - 1) / mr > (n + nr - 1) / nr) { rows, columns, workspace in
      table.gemm(
        rows.count, columns.count, k, a.base + rows.lowerBound * a.rowStride, a.rowStride, a.columnStride,
        b.base + columns.lowerBound * b.columnStride, b.rowStride, b.columnStride,
        c.base + rows.lowerBound * c.rowStride + columns.lowerBound, c.rowStride, accumulate,
        biasPointer.map { UnsafePointer($0.pointer + columns.lowerBound) }, gelu, workspace)
    }
  }

  /// The multiple of which a range of a packed matrix's columns must start (its micro-panels'
  /// width).
  public var columnAlignment: Int { table.tile.columns }

  /// Packs a `k × n` weight matrix once for this kernel path.
  public func pack(_ b: MatrixView) -> PackedMatrix {
    let packed = PackedMatrix(
      rows: b.rows, columns: b.columns, path: path,
      count: table.packedCount(b.rows, b.columns))
    table.packB(b.rows, b.columns, 0..<b.columns, b.base, b.rowStride, b.columnStride, packed.storage)
    return packed
  }

  /// Packs a rank-2 weight tensor `(k, n)` once for this kernel path.
  public func pack(_ b: Tensor) -> PackedMatrix {
    precondition(b.rank == 2, "pack takes a matrix")
    return b.scalars.withUnsafeBufferPointer {
      pack(MatrixView(rowMajor: $0.baseAddress!, rows: b.shape[0], columns: b.shape[1]))
    }
  }

  /// `C (+)= A · B` with a pre-packed `B`, then `+ bias` and GELU if given.
  ///
  /// Threads take contiguous ranges of rows when each gets at least
  /// ``rowSplitMinimumRowsPerThread`` (each part then packs only its own rows of A, and all read
  /// the one packed B), else ranges of B's micro-panels when there are enough of them (A is
  /// then packed once, before the parts, and shared), else rows; ``partsPerThread`` parts per
  /// thread either way.
  ///
  /// With `columns`, the product covers only those columns of `B` (the range starting at a
  /// multiple of ``columnAlignment``; `c` and `bias` then span them alone): each value is the
  /// one the whole product gives in its place, bit for bit.
  public func gemm(
    _ a: MatrixView, _ b: PackedMatrix, columns: Range<Int>? = nil, into c: MutableMatrixView,
    accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, gelu: Bool = false
  ) {
    precondition(b.path == path, "matrix packed for \(b.path.rawValue), used on \(path.rawValue)")
    let range = columns ?? 0..<b.columns
    precondition(range.lowerBound >= 0 && range.upperBound <= b.columns, "gemm: columns \(range) of \(b.columns)")
    precondition(
      range.lowerBound % columnAlignment == 0,
      "gemm: columns \(range) do not start on a packed panel (a multiple of \(columnAlignment))")
    precondition(
      a.columns == b.rows && a.rows == c.rows && range.count == c.columns,
      "gemm shapes \(a.rows)×\(a.columns) · \(b.rows)×\(range.count) → \(c.rows)×\(c.columns)")
    gemm(
      a, packedB: b.storage, columns: range, totalColumns: b.columns, into: c, accumulate: accumulate, bias: bias,
      gelu: gelu)
  }

  /// Packs all of `b` into `out` (`table.packedCount` floats) as `pack(_:)` does a view, the
  /// threads taking ranges of its columns (each packs the blocks that start in its range).
  private func packWhole(_ b: MatrixView, into out: UnsafeMutablePointer<Float>) {
    let table = table
    let packed = SharedPointer(out)
    let minimumColumns = max(1, Self.minimumPackedFloatsPerThread / b.rows)
    parallelRanges(b.columns, minimumPerPart: minimumColumns, alignment: table.blockColumns) { columns in
      table.packB(b.rows, b.columns, columns, b.base, b.rowStride, b.columnStride, packed.pointer)
    }
  }

  /// `C (+)= A · B[:, columns]` with `B` packed whole (`totalColumns` wide) at `packedB`, then
  /// `+ bias` and GELU if given; see the public form.
  private func gemm(
    _ a: MatrixView, packedB: UnsafeMutablePointer<Float>, columns range: Range<Int>, totalColumns total: Int,
    into c: MutableMatrixView, accumulate: Bool, bias: UnsafePointer<Float>?, gelu: Bool
  ) {
    let (m, n, k) = (a.rows, range.count, a.columns)
    guard m > 0, n > 0 else { return }
    let table = table
    let panels = (n + table.tile.columns - 1) / table.tile.columns
    let biasPointer = bias.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
    let start = range.lowerBound
    let packed = SharedPointer(packedB)
    let parts = partCount(m, n, k)
    if parts > 1, k > 0, panels >= parts, m < parts * Self.rowSplitMinimumRowsPerThread {
      WorkspacePool.shared.with(table.packedACount(m, k)) { wholeA in
        let packedA = SharedPointer(wholeA)
        let minimumRows = max(1, Self.minimumPackedFloatsPerThread / k)
        parallelRanges(m, minimumPerPart: minimumRows, alignment: table.tile.rows) { rows in
          table.packA(m, k, rows.lowerBound, rows.count, a.base, a.rowStride, a.columnStride, packedA.pointer)
        }
        splitOverThreads(m, n, k, splitRows: false, partsPerThread: Self.partsPerThread) { _, columns, workspace in
          table.gemmBothPacked(
            m, columns.count, k, packedA.pointer, packed.pointer, start + columns.lowerBound, total,
            c.base + columns.lowerBound, c.rowStride, accumulate,
            biasPointer.map { UnsafePointer($0.pointer + columns.lowerBound) }, gelu, workspace)
        }
      }
      return
    }
    splitOverThreads(
      m, n, k, splitRows: true, partsPerThread: Self.partsPerThread, minimumRowsPerPart: table.blockRows
    ) { rows, _, workspace in
      table.gemmPrepacked(
        rows.count, n, k, a.base + rows.lowerBound * a.rowStride, a.rowStride, a.columnStride,
        packed.pointer, start, total, c.base + rows.lowerBound * c.rowStride, c.rowStride, accumulate,
        biasPointer.map { UnsafePointer($0.pointer) }, gelu, workspace)
    }
  }

  /// Runs `body` on each part of an `m × n` product, with a workspace: ranges of whole
  /// micro-tiles of rows (`splitRows`, each at least `minimumRowsPerPart` rows) or of columns,
  /// each worth at least ``minimumMultiplyAddsPerThread``, up to `partsPerThread` per thread.
  private func splitOverThreads(
    _ m: Int, _ n: Int, _ k: Int, splitRows: Bool, partsPerThread: Int = 1, minimumRowsPerPart: Int = 0,
    _ body: @Sendable (Range<Int>, Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    let (mr, nr) = table.tile
    let workspaceCount = table.workspaceCount
    let (count, other, alignment) = splitRows ? (m, n, mr) : (n, m, nr)
    let perItem = other * max(k, 1)
    let minimumPerPart = max(
      (Self.minimumMultiplyAddsPerThread + perItem - 1) / perItem, splitRows ? minimumRowsPerPart : 0)
    parallelRanges(count, minimumPerPart: minimumPerPart, alignment: alignment, partsPerThread: partsPerThread) {
      range in
      WorkspacePool.shared.with(workspaceCount) { workspace in
        body(splitRows ? range : 0..<m, splitRows ? 0..<n : range, workspace)
      }
    }
  }

  /// How many threads a product of this size deserves.
  private func partCount(_ m: Int, _ n: Int, _ k: Int) -> Int {
    max(1, min(threads, m * n * max(k, 1) / Self.minimumMultiplyAddsPerThread))
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
    precondition(bias.map { $0.count == outputs } ?? true, "dense: bias does not match \(outputs) outputs")
    let rows = x.count / inputs
    return Tensor(shape: x.shape.dropLast() + [outputs]) { out in
      x.scalars.withUnsafeBufferPointer { px in
        kernel.scalars.withUnsafeBufferPointer { pk in
          withOptionalPointer(bias) { pb in
            gemm(
              MatrixView(rowMajor: px.baseAddress!, rows: rows, columns: inputs),
              MatrixView(rowMajor: pk.baseAddress!, rows: inputs, columns: outputs),
              into: MutableMatrixView(out.baseAddress!, rows: rows, columns: outputs), bias: pb)
          }
        }
      }
    }
  }

  /// A Dense layer with a pre-packed kernel: `x · kernel + bias` over the last axis, then GELU
  /// (tanh form) if asked.
  public func dense(_ x: Tensor, packed kernel: PackedMatrix, bias: Tensor?, gelu: Bool = false) -> Tensor {
    precondition(
      x.shape.last == kernel.rows, "dense: input width \(x.shape.last ?? 0), kernel \(kernel.rows)×\(kernel.columns)")
    let rows = x.count / kernel.rows
    return Tensor(shape: x.shape.dropLast() + [kernel.columns]) { out in
      x.scalars.withUnsafeBufferPointer { px in
        withOptionalPointer(bias) { pb in
          gemm(
            MatrixView(rowMajor: px.baseAddress!, rows: rows, columns: kernel.rows), kernel,
            into: MutableMatrixView(out.baseAddress!, rows: rows, columns: kernel.columns), bias: pb, gelu: gelu)
        }
      }
    }
  }

  /// Multiply-adds per second of one thread's FMA units, from a tight loop of independent
  /// vector FMAs (the machine's peak for this kernel path).
  public func measureFMAPeak(iterations: Int) -> (multiplyAdds: Int, result: Float) {
    (iterations * table.fmaPeakMultiplyAddsPerIteration, table.fmaPeak(iterations))
  }
}

/// Calls `body` with a pointer to the tensor's values (valid during the call), or nil.
public func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let tensor else { return body(nil) }
  return tensor.scalars.withUnsafeBufferPointer { body($0.baseAddress) }
}
