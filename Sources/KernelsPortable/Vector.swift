// The vector type and tiling of KernelsPortable; the shared kernels in `Shared/` are written against
// these names.

/// The SIMD vector the kernels work on.
typealias Vec = SIMD4<Float>
/// Integer lanes of the same width, for bit manipulation.
typealias VecBits = SIMD4<Int32>

/// `a·b + c`, lane-wise: multiply then add (no FMA on baseline x86-64; two roundings).
@inline(__always)
func madd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { a * b + c }

/// `1/x`, lane-wise (a division).
@inline(__always)
func reciprocal(_ x: Vec) -> Vec { Vec(repeating: 1) / x }

/// `p · 2^n`, lane-wise, for whole numbers `n` in [-126, 127] given both as floats and as
/// integers: by `multiplyByPowerOfTwo` on the integers (no instruction here does it in one).
@inline(__always)
func timesPowerOfTwo(_ p: Vec, _ n: Vec, _ integerN: VecBits) -> Vec { multiplyByPowerOfTwo(p, integerN) }

/// Cache blocking of `blockedGemm` and `prepackedGemm` (the micro-tile's shape, `mr`, `nr` and
/// `shortRows`, is in the generated MicroKernel.swift).
enum Tile {
  /// Depth of a packed slice. The A micro-panel (`mr × kc`) stays in L1 while the B
  /// micro-panels of the slice stream from L2.
  static var kc: Int { 256 }
  /// Rows of a packed block of A (`mc × kc`, kept in L2).
  static var mc: Int { 64 }
  /// Columns of a packed panel of B (`kc × nc`, kept in L2 beside the block of A).
  static var nc: Int { 512 }
}
