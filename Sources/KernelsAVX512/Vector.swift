// The vector type and tiling of KernelsAVX512; the shared kernels in `Shared/` are written against
// these names.

/// The SIMD vector the kernels work on.
typealias Vec = SIMD16<Float>
/// Integer lanes of the same width, for bit manipulation.
typealias VecBits = SIMD16<Int32>

/// `a·b + c`, lane-wise: fused multiply-add (one rounding).
@inline(__always)
func madd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { c.addingProduct(a, b) }

/// Register and cache blocking.
enum Tile {
  /// Rows of the micro-kernel tile.
  static var mr: Int { 12 }
  /// Rows of the short micro-kernel, for the last rows of A.
  static var shortRows: Int { 6 }
  /// Columns of the micro-kernel tile.
  static var nr: Int { 32 }
  /// Depth of a packed slice (the B micro-panel, `kc × nr`, stays in L1).
  static var kc: Int { 256 }
  /// Rows of a packed block of A (kept in L2).
  static var mc: Int { 192 }
  /// Columns of a packed panel of B.
  static var nc: Int { 1536 }
}
