import KernelsAVX2
import KernelsAVX512
import KernelsPortable

/// The entry points of one kernel build, called through function values so that only the
/// selected build ever runs.
struct KernelTable: Sendable {
  /// `(m, n, k, a, aRow, aCol, b, bRow, bCol, c, ldc, accumulate, bias, gelu, workspace)`; for
  /// the pre-packed form `bRow, bCol` are the first column and the packed matrix's width.
  typealias Gemm =
    @Sendable (
      Int, Int, Int, UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, Int, Int,
      UnsafeMutablePointer<Float>, Int, Bool, UnsafePointer<Float>?, Bool, UnsafeMutablePointer<Float>
    ) -> Void
  /// `(m, n, k, a, b, bRow, bCol, c, ldc, accumulate, rowBias, gelu, workspace)`, with the
  /// whole `m × k` A packed by `packA`.
  typealias PackedAGemm =
    @Sendable (
      Int, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Int, Int,
      UnsafeMutablePointer<Float>, Int, Bool, UnsafePointer<Float>?, Bool, UnsafeMutablePointer<Float>
    ) -> Void
  /// `(m, n, k, a, b, columnStart, totalColumns, c, ldc, accumulate, bias, gelu, workspace)`,
  /// with the whole `m × k` A packed by `packA` and B by `packB`.
  typealias BothPackedGemm =
    @Sendable (
      Int, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Int, Int,
      UnsafeMutablePointer<Float>, Int, Bool, UnsafePointer<Float>?, Bool, UnsafeMutablePointer<Float>
    ) -> Void
  /// `(m, k, firstRow, rowCount, a, aRow, aCol, out)`: rows of an `m × k` A into its packed form.
  typealias PackA =
    @Sendable (Int, Int, Int, Int, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void
  /// `(k, n, blockStarts, b, bRow, bCol, out)`: the blocks of B's columns that start in
  /// `blockStarts` into B's packed form.
  typealias PackB =
    @Sendable (Int, Int, Range<Int>, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void
  typealias LayerNorm =
    @Sendable (
      UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Float
    ) -> Void
  typealias InPlace = @Sendable (UnsafeMutablePointer<Float>, Int) -> Void

  let tile: (rows: Int, columns: Int)
  /// Rows of a packed block of A (a product streams B once per block).
  let blockRows: Int
  /// Columns of a packed block of B (`blockedGemm` packs each block of A once per block of B).
  let blockColumns: Int
  let workspaceCount: Int
  let gemm: Gemm
  let gemmPrepacked: Gemm
  /// `(m, k, columnStart, columnEnd, totalColumns, visit)`: the packed panels `gemmPrepacked`
  /// sweeps, in order, each given to `visit` as its first float and the float after its last.
  let prepackedPanels: @Sendable (Int, Int, Int, Int, Int, (Int, Int) -> Void) -> Void
  let packB: PackB
  let packedCount: @Sendable (Int, Int) -> Int
  let gemmPackedA: PackedAGemm
  let gemmBothPacked: BothPackedGemm
  let packA: PackA
  let packedACount: @Sendable (Int, Int) -> Int
  let layerNorm: LayerNorm
  let softmax: @Sendable (UnsafeMutablePointer<Float>, Int, Int) -> Void
  let geluTanh: InPlace
  let geluErf: InPlace
  let tanh: InPlace
  let exp: InPlace
  let fmaPeak: @Sendable (Int) -> Float
  let fmaPeakMultiplyAddsPerIteration: Int

  // Each table is built on first use, which happens only after its path's CPU check.
  static let avx512 = KernelTable(
    tile: KernelsAVX512.Backend.tile, blockRows: KernelsAVX512.Backend.blockRows,
    blockColumns: KernelsAVX512.Backend.blockColumns,
    workspaceCount: KernelsAVX512.Backend.workspaceCount,
    gemm: KernelsAVX512.Backend.gemm, gemmPrepacked: KernelsAVX512.Backend.gemmPrepacked,
    prepackedPanels: KernelsAVX512.Backend.prepackedPanels,
    packB: KernelsAVX512.Backend.packB,
    packedCount: KernelsAVX512.Backend.packedCount, gemmPackedA: KernelsAVX512.Backend.gemmPackedA,
    gemmBothPacked: KernelsAVX512.Backend.gemmBothPacked,
    packA: KernelsAVX512.Backend.packA, packedACount: KernelsAVX512.Backend.packedACount,
    layerNorm: KernelsAVX512.Backend.layerNorm,
    softmax: KernelsAVX512.Backend.softmax, geluTanh: KernelsAVX512.Backend.geluTanh,
    geluErf: KernelsAVX512.Backend.geluErf, tanh: KernelsAVX512.Backend.tanh, exp: KernelsAVX512.Backend.exp,
    fmaPeak: KernelsAVX512.Backend.fmaPeak,
    fmaPeakMultiplyAddsPerIteration: KernelsAVX512.Backend.fmaPeakMultiplyAddsPerIteration)

  static let avx2 = KernelTable(
    tile: KernelsAVX2.Backend.tile, blockRows: KernelsAVX2.Backend.blockRows,
    blockColumns: KernelsAVX2.Backend.blockColumns,
    workspaceCount: KernelsAVX2.Backend.workspaceCount,
    gemm: KernelsAVX2.Backend.gemm, gemmPrepacked: KernelsAVX2.Backend.gemmPrepacked,
    prepackedPanels: KernelsAVX2.Backend.prepackedPanels, packB: KernelsAVX2.Backend.packB,
    packedCount: KernelsAVX2.Backend.packedCount, gemmPackedA: KernelsAVX2.Backend.gemmPackedA,
    gemmBothPacked: KernelsAVX2.Backend.gemmBothPacked,
    packA: KernelsAVX2.Backend.packA, packedACount: KernelsAVX2.Backend.packedACount,
    layerNorm: KernelsAVX2.Backend.layerNorm,
    softmax: KernelsAVX2.Backend.softmax, geluTanh: KernelsAVX2.Backend.geluTanh,
    geluErf: KernelsAVX2.Backend.geluErf, tanh: KernelsAVX2.Backend.tanh, exp: KernelsAVX2.Backend.exp,
    fmaPeak: KernelsAVX2.Backend.fmaPeak,
    fmaPeakMultiplyAddsPerIteration: KernelsAVX2.Backend.fmaPeakMultiplyAddsPerIteration)

  static let portable = KernelTable(
    tile: KernelsPortable.Backend.tile, blockRows: KernelsPortable.Backend.blockRows,
    blockColumns: KernelsPortable.Backend.blockColumns,
    workspaceCount: KernelsPortable.Backend.workspaceCount,
    gemm: KernelsPortable.Backend.gemm, gemmPrepacked: KernelsPortable.Backend.gemmPrepacked,
    prepackedPanels: KernelsPortable.Backend.prepackedPanels,
    packB: KernelsPortable.Backend.packB,
    packedCount: KernelsPortable.Backend.packedCount, gemmPackedA: KernelsPortable.Backend.gemmPackedA,
    gemmBothPacked: KernelsPortable.Backend.gemmBothPacked,
    packA: KernelsPortable.Backend.packA, packedACount: KernelsPortable.Backend.packedACount,
    layerNorm: KernelsPortable.Backend.layerNorm,
    softmax: KernelsPortable.Backend.softmax, geluTanh: KernelsPortable.Backend.geluTanh,
    geluErf: KernelsPortable.Backend.geluErf, tanh: KernelsPortable.Backend.tanh, exp: KernelsPortable.Backend.exp,
    fmaPeak: KernelsPortable.Backend.fmaPeak,
    fmaPeakMultiplyAddsPerIteration: KernelsPortable.Backend.fmaPeakMultiplyAddsPerIteration)
}
