extension Compute {
  /// Packs an `m × k` matrix once for this kernel path, as the left operand of
  /// ``gemm(_:_:into:samples:bSampleStride:cSampleStride:accumulate:rowBias:gelu:)``.
  public func packLeft(_ a: MatrixView) -> PackedLeftMatrix {
    let packed = PackedLeftMatrix(
      rows: a.rows, columns: a.columns, path: path,
      count: table.packedACount(a.rows, a.columns))
    table.packA(a.rows, a.columns, 0, a.rows, a.base, a.rowStride, a.columnStride, packed.storage)
    return packed
  }

  /// Packs the transpose of a rank-2 Dense kernel `(in, out)` as an `out × in` left operand, so
  /// `kernelᵀ · X` applies the layer to the columns of `X`.
  public func packLeft(transposing kernel: Tensor) -> PackedLeftMatrix {
    precondition(kernel.rank == 2, "packLeft takes a matrix")
    return kernel.scalars.withUnsafeBufferPointer {
      packLeft(MatrixView(rowMajor: $0.baseAddress!, rows: kernel.shape[0], columns: kernel.shape[1]).transposed)
    }
  }

  /// `C_s (+)= A · B_s` for `samples` products with one pre-packed left operand, then
  /// `+ rowBias[i]` on row `i` and GELU (tanh form) if asked.
  ///
  /// Sample `s` reads `B` shifted by `s · bSampleStride` floats and writes `C` shifted by
  /// `s · cSampleStride`; `b` and `c` describe sample 0 (`A` is `m × k`, `B` `k × n`, `C`
  /// `m × n`). A is read from its packed form for every sample, so it stays in cache across
  /// the batch. The work is one parallel region: threads take contiguous ranges of (sample,
  /// `NR`-wide column panel) pairs, so a batch splits by samples and a single sample by
  /// columns, each thread packing only its own part of B. The result does not depend on the
  /// thread count. (The executor's token mixing calls the kernel directly, per column chunk,
  /// with both products fused: ``tokenMixing``; this form is the kernel's tested reference.)
  func gemm(
    _ a: PackedLeftMatrix, _ b: MatrixView, into c: MutableMatrixView, samples: Int = 1,
    bSampleStride: Int = 0, cSampleStride: Int = 0, accumulate: Bool = false,
    rowBias: UnsafePointer<Float>? = nil, gelu: Bool = false
  ) {
    precondition(a.path == path, "matrix packed for \(a.path.rawValue), used on \(path.rawValue)")
    precondition(
      a.columns == b.rows && a.rows == c.rows && b.columns == c.columns,
      "gemm shapes \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns) → \(c.rows)×\(c.columns)")
    let (m, n, k) = (a.rows, b.columns, a.columns)
    guard m > 0, n > 0, samples > 0 else { return }
    let table = table
    let nr = table.tile.columns
    let panels = (n + nr - 1) / nr
    let packed = SharedPointer(a.storage)
    let bias = rowBias.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
    let perPanel = m * max(k, 1) * nr
    let minimumPanels = (Self.minimumMultiplyAddsPerThread + perPanel - 1) / perPanel
    parallelRanges(samples * panels, minimumPerPart: minimumPanels) { range in
      WorkspacePool.shared.with(table.workspaceCount) { workspace in
        var unit = range.lowerBound
        while unit < range.upperBound {
          let (sample, first) = (unit / panels, unit % panels)
          let last = min(panels, first + range.upperBound - unit)
          let columns = (first * nr)..<min(n, last * nr)
          table.gemmPackedA(
            m, columns.count, k, packed.pointer,
            b.base + sample * bSampleStride + columns.lowerBound * b.columnStride, b.rowStride,
            b.columnStride, c.base + sample * cSampleStride + columns.lowerBound, c.rowStride,
            accumulate, bias.map { UnsafePointer($0.pointer) }, gelu, workspace)
          unit += last - first
        }
      }
    }
  }
}
