// The vector type and tiling of KernelsPortable; the shared kernels in `Shared/` are written against
// these names.

/// The SIMD vector the kernels work on.
typealias Vec = SIMD4<Float>
/// Integer lanes of the same width, for bit manipulation.
typealias VecBits = SIMD4<Int32>

/// `a·b + c`, lane-wise: multiply then add (no FMA on baseline x86-64; two roundings).
@inline(__always)
func madd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { a * b + c }

/// Register and cache blocking.
enum Tile {
  /// Rows of the micro-kernel tile.
  static var mr: Int { 4 }
  /// Rows of the short micro-kernel, for the last rows of A.
  static var shortRows: Int { 2 }
  /// Columns of the micro-kernel tile.
  static var nr: Int { 8 }
  /// Depth of a packed slice (the B micro-panel, `kc × nr`, stays in L1).
  static var kc: Int { 256 }
  /// Rows of a packed block of A (kept in L2).
  static var mc: Int { 64 }
  /// Columns of a packed panel of B.
  static var nc: Int { 512 }
}
