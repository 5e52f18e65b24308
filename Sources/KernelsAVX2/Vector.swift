// The vector type and tiling of KernelsAVX2; the shared kernels in `Shared/` are written against
// these names.

import _Builtin_intrinsics.intel

/// The SIMD vector the kernels work on.
typealias Vec = SIMD8<Float>
/// Integer lanes of the same width, for bit manipulation.
typealias VecBits = SIMD8<Int32>

/// `a·b + c`, lane-wise: fused multiply-add (one rounding), as one instruction. (The standard
/// library's `SIMD.addingProduct` is a per-lane loop that the compiler re-vectorises only in
/// part inside long dependent chains like the polynomials of `VectorMath`.)
@inline(__always)
func madd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { _mm256_fmadd_ps(a, b, c) }

/// `1/x`, lane-wise, by division (AVX2's 12-bit estimate with one Newton step is good to about
/// 2^-22, short of float precision).
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
  static var mc: Int { 72 }
  /// Columns of a packed panel of B (`kc × nc`, 256 KiB, kept in L2 beside the block of A:
  /// the two fit the 512 KiB L2 of Zen 3 with room for C's tiles, where 768 columns made a
  /// 768 KiB panel that each row of A's micro-panels streamed again from L3: cachegrind, the
  /// micro-kernel's L2 read misses 21.5 → 2.9 million in Mixer-B/16 at batch 1). 256 divides the
  /// models' widths (768, 2304, 3072).
  static var nc: Int { 256 }
}
