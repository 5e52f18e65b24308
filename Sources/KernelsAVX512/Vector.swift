// The vector type and tiling of KernelsAVX512; the shared kernels in `Shared/` are written against
// these names.

import _Builtin_intrinsics.intel

/// The SIMD vector the kernels work on.
typealias Vec = SIMD16<Float>
/// Integer lanes of the same width, for bit manipulation.
typealias VecBits = SIMD16<Int32>

/// `a·b + c`, lane-wise: fused multiply-add (one rounding), as one instruction. (The standard
/// library's `SIMD.addingProduct` is a per-lane loop that the compiler re-vectorises only in
/// part inside long dependent chains like the polynomials of `VectorMath`.)
@inline(__always)
func madd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { _mm512_fmadd_ps(a, b, c) }

/// `1/x`, lane-wise, to about an ulp: the 14-bit estimate (`vrcp14ps`) refined by one Newton
/// step, `r + r·(1 − x·r)`: about half the latency of `vdivps`, and pipelined where the divider
/// takes one zmm quotient every 10–16 cycles.
@inline(__always)
func reciprocal(_ x: Vec) -> Vec {
  let r = _mm512_rcp14_ps(x)
  return madd(r, _mm512_fnmadd_ps(x, r, Vec(repeating: 1)), r)
}

/// `p · 2^n`, lane-wise, for whole numbers `n` in [-126, 127] given both as floats and as
/// integers: one `vscalefps` on the float `n` (the integers go unused), where building `2^n`
/// in the exponent field takes an add, a shift and a multiply. The same values: `vscalefps`
/// rounds `p · 2^n` once, as the multiply by an exact `2^n` does.
@inline(__always)
func timesPowerOfTwo(_ p: Vec, _ n: Vec, _ integerN: VecBits) -> Vec { _mm512_scalef_ps(p, n) }

/// Cache blocking of `blockedGemm` and `prepackedGemm` (the micro-tile's shape, `mr`, `nr` and
/// `shortRows`, is in the generated MicroKernel.swift).
enum Tile {
  /// Depth of a packed slice. The A micro-panel (`mr × kc`, 18 KiB) stays in L1 while the B
  /// micro-panels of the slice stream from L2. 384 rather than 256: C is read back once per
  /// slice, and a depth of 384 (the token MLP's) is one slice instead of 256 + 128 (measured
  /// on Zen 4: the batch-8 token-mixing product 0.88–0.91 → 1.07–1.08 of OpenBLAS).
  static var kc: Int { 384 }
  /// Rows of a packed block of A (`mc × kc`, 288 KiB, kept in L2).
  static var mc: Int { 192 }
  /// Columns of a packed panel of B (`kc × nc`, 576 KiB, kept in L2 beside the block of A: the
  /// two fit Zen 4's 1 MiB L2). 384 divides the models' widths (768, 2304, 3072).
  static var nc: Int { 384 }
}
