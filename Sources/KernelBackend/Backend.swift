// Shared backend source (see Gemm.swift). The entry points the `Kernels` module dispatches
// to. They are not inlinable, so nothing compiled for one CPU level leaks into another.

/// The kernels compiled for this module's CPU level.
public enum Backend {
  /// Rows and columns of the micro-kernel tile.
  public static var tile: (rows: Int, columns: Int) { (Tile.mr, Tile.nr) }

  /// Rows of a packed block of A: a product streams B once per such block.
  public static var blockRows: Int { Tile.mc }

  /// Columns of a packed block of B: a product whose B is wider packs each block of A once
  /// per such block, unless B is packed whole first.
  public static var blockColumns: Int { Tile.nc }

  /// Floats of workspace one ``gemm`` call needs.
  public static var workspaceCount: Int { gemmWorkspaceCount }

  /// `C[m×n] (+)= A[m×k] · B[k×n]` on one thread, then `+ bias` and GELU if given; see
  /// `blockedGemm`.
  @inline(never)
  public static func gemm(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
    _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ gelu: Bool, _ workspace: UnsafeMutablePointer<Float>
  ) {
    blockedGemm(m, n, k, a, aRow, aCol, b, bRow, bCol, c, ldc, accumulate, bias, gelu, workspace)
  }

  /// The same with B packed by ``packB(_:_:_:_:_:_:_:)`` (`totalColumns` wide), over its columns
  /// `columnStart ..< columnStart + n` (`columnStart` a multiple of the tile width); see
  /// `prepackedGemm`.
  @inline(never)
  public static func gemmPrepacked(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
    _ b: UnsafePointer<Float>, _ columnStart: Int, _ totalColumns: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ gelu: Bool, _ workspace: UnsafeMutablePointer<Float>
  ) {
    prepackedGemm(m, n, k, a, aRow, aCol, b, columnStart, totalColumns, c, ldc, accumulate, bias, gelu, workspace)
  }

  /// The panels of a B packed by ``packB(_:_:_:_:_:_:_:)`` (`k × totalColumns`) that
  /// ``gemmPrepacked(_:_:_:_:_:_:_:_:_:_:_:_:_:_:_:)`` sweeps for an `m`-row product over its
  /// columns `columnStart ..< columnEnd`, in order: `visit` gets each one's first packed float
  /// and the float after its last. Each sweep prefetches the next one's panel.
  @inline(never)
  public static func prepackedPanels(
    _ m: Int, _ k: Int, _ columnStart: Int, _ columnEnd: Int, _ totalColumns: Int, _ visit: (Int, Int) -> Void
  ) {
    guard let product = prepackedProduct(m, k, columnStart..<columnEnd, totalColumns) else { return }
    forEachSweep(of: product) { _, panel, _ in visit(panel.lowerBound, panel.upperBound) }
  }

  /// ``gemmPrepacked(_:_:_:_:_:_:_:_:_:_:_:_:_:_:_:)`` with A packed whole by
  /// ``packA(_:_:_:_:_:_:_:_:)`` as well, so threads that take ranges of columns share one packed A.
  @inline(never)
  public static func gemmBothPacked(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>, _ columnStart: Int, _ totalColumns: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ gelu: Bool, _ workspace: UnsafeMutablePointer<Float>
  ) {
    prepackedGemm(
      m, n, k, a, 0, 0, b, columnStart, totalColumns, c, ldc, accumulate, bias, gelu, workspace, packedA: true)
  }

  /// `C[m×n] (+)= A[m×k] · B[k×n]` on one thread, where A was packed whole by
  /// ``packA(_:_:_:_:_:_:_:_:)``; then `+ rowBias[i]` on row `i` and GELU if given; see `blockedGemm`.
  @inline(never)
  public static func gemmPackedA(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ accumulate: Bool, _ rowBias: UnsafePointer<Float>?, _ gelu: Bool, _ workspace: UnsafeMutablePointer<Float>
  ) {
    blockedGemm(
      m, n, k, a, 0, 0, b, bRow, bCol, c, ldc, accumulate, nil, gelu, workspace, rowBias: rowBias,
      packedA: true)
  }

  /// Floats an `m × k` left operand occupies once packed.
  public static func packedACount(_ m: Int, _ k: Int) -> Int { packedWholeACount(m, k) }

  /// Packs rows `firstRow ..< firstRow + rowCount` of an `m × k` A operand, whose row 0 is at
  /// `a`, into its whole packed form `out`, for ``gemmPackedA(_:_:_:_:_:_:_:_:_:_:_:_:_:)`` and
  /// ``gemmBothPacked(_:_:_:_:_:_:_:_:_:_:_:_:_:)``. The rows must be whole micro-panels
  /// (`firstRow` a multiple of the tile height, and `rowCount` too unless the rows run to `m`),
  /// so that threads packing disjoint ranges never write the same panel.
  @inline(never)
  public static func packA(
    _ m: Int, _ k: Int, _ firstRow: Int, _ rowCount: Int, _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
    _ out: UnsafeMutablePointer<Float>
  ) {
    precondition(
      firstRow >= 0 && rowCount >= 0 && firstRow + rowCount <= m && firstRow % Tile.mr == 0
        && (rowCount % Tile.mr == 0 || firstRow + rowCount == m),
      "packA rows \(firstRow)..<\(firstRow + rowCount) of \(m) are not whole \(Tile.mr)-row panels")
    packWholeA(m, k, rows: firstRow..<(firstRow + rowCount), a, aRow, aCol, out)
  }

  /// Floats a `k × n` matrix occupies once packed.
  public static func packedCount(_ k: Int, _ n: Int) -> Int { packedWholeBCount(k, n) }

  /// Packs a whole `k × n` B operand for ``gemmPrepacked(_:_:_:_:_:_:_:_:_:_:_:_:_:_:_:)``: the
  /// blocks of its columns that start in `blockStarts` (`0..<n` for all), each in its place, so
  /// that threads packing disjoint ranges of columns pack one B together.
  @inline(never)
  public static func packB(
    _ k: Int, _ n: Int, _ blockStarts: Range<Int>, _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
    _ out: UnsafeMutablePointer<Float>
  ) {
    packWholeB(k, n, blockStarts, b, bRow, bCol, out)
  }

  /// LayerNorm over rows; see `layerNormRows`.
  @inline(never)
  public static func layerNorm(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ rows: Int,
    _ cols: Int, _ scale: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
    _ epsilon: Float
  ) {
    layerNormRows(input, output, rows, cols, scale, bias, epsilon)
  }

  /// Softmax of each row in place.
  @inline(never)
  public static func softmax(_ x: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int) {
    softmaxRows(x, rows, cols)
  }

  /// GELU, tanh approximation, in place.
  @inline(never)
  public static func geluTanh(_ x: UnsafeMutablePointer<Float>, _ count: Int) { mapInPlace(x, count, vgeluTanh) }

  /// GELU with the exact error function, in place.
  @inline(never)
  public static func geluErf(_ x: UnsafeMutablePointer<Float>, _ count: Int) { mapInPlace(x, count, vgeluErf) }

  /// tanh in place.
  @inline(never)
  public static func tanh(_ x: UnsafeMutablePointer<Float>, _ count: Int) { mapInPlace(x, count, vtanh) }

  /// `e^x` in place.
  @inline(never)
  public static func exp(_ x: UnsafeMutablePointer<Float>, _ count: Int) { mapInPlace(x, count, vexp) }

  /// Multiply-adds per call of ``fmaPeak(_:)`` per iteration.
  public static var fmaPeakMultiplyAddsPerIteration: Int { 12 * Vec.scalarCount }

  /// Runs `iterations` rounds of 12 independent vector multiply-adds (fused where the CPU level
  /// has FMA) and returns a value that depends on all of them. Twelve chains are more than FMA
  /// latency × ports (4 × 2 on every CPU here), so the loop is bound by FMA throughput alone,
  /// and with the two operands they fit the 16 registers of AVX2 and the baseline: with 24 the
  /// AVX2 build spilled chains to the stack and read half the peak (46 GFLOPS on Zen 3, whose
  /// GEMM ran at 94).
  @inline(never)
  public static func fmaPeak(_ iterations: Int) -> Float {
    let x = Vec(repeating: 0.999_999)
    let y = Vec(repeating: 1e-7)
    var a0 = Vec(repeating: 0e-3), a1 = Vec(repeating: 1e-3), a2 = Vec(repeating: 2e-3), a3 = Vec(repeating: 3e-3)
    var a4 = Vec(repeating: 4e-3), a5 = Vec(repeating: 5e-3), a6 = Vec(repeating: 6e-3), a7 = Vec(repeating: 7e-3)
    var a8 = Vec(repeating: 8e-3), a9 = Vec(repeating: 9e-3), a10 = Vec(repeating: 10e-3), a11 = Vec(repeating: 11e-3)
    for _ in 0..<iterations {
      a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y)
      a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y)
      a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y)
    }
    return horizontalSum((a0 + a1 + a2 + a3) + (a4 + a5 + a6 + a7) + (a8 + a9 + a10 + a11))
  }
}
