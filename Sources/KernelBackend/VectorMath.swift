// Shared backend source (see Gemm.swift). Vectorised transcendental functions on `Vec`,
// accurate to a few float32 ulps, with no per-lane library calls. Multiply-adds are `madd`
// (one FMA instruction where the CPU level has it) and quotients `reciprocal`, both defined
// per CPU level in Vector.swift; signs are handled with integer bit operations.

@inline(__always) func bits(_ v: Vec) -> VecBits { unsafeBitCast(v, to: VecBits.self) }
@inline(__always) func float(_ b: VecBits) -> Vec { unsafeBitCast(b, to: Vec.self) }

/// `|x|` and the sign bit of `x`, lane-wise.
@inline(__always)
func magnitudeAndSign(_ x: Vec) -> (Vec, VecBits) {
  let b = bits(x)
  return (float(b & VecBits(repeating: 0x7FFF_FFFF)), b & VecBits(repeating: Int32(bitPattern: 0x8000_0000)))
}

/// `v` with every lane above `limit` lowered to it (NaN lanes stay NaN).
@inline(__always)
func atMost(_ v: Vec, _ limit: Float) -> Vec {
  v.replacing(with: Vec(repeating: limit), where: v .> Vec(repeating: limit))
}

/// `v` with every lane below `limit` raised to it (NaN lanes stay NaN).
@inline(__always)
func atLeast(_ v: Vec, _ limit: Float) -> Vec {
  v.replacing(with: Vec(repeating: limit), where: v .< Vec(repeating: limit))
}

/// The largest argument the quotients below pass to `vexp`: the reciprocal of `e^80 + 1`
/// (≈ 1.8e-35) is still a normal float, so no multiply-add meets a subnormal operand, which
/// Intel CPUs handle in a slow microcode assist. The results are the same to float precision
/// (`tanh` is 1; GELU where the cap acts, below about −9.7, is within 1e-33 of 0).
let largestQuotientExponent: Float = 80

/// The least and the greatest argument `vexpInRange` takes (`vexp` clamps to them): across
/// them `n = round(x / ln2)` is in [-126, 127], so `2^n` is a normal float, and `e^x` is finite
/// and positive.
let smallestExpArgument: Float = -87.3
let largestExpArgument: Float = 88.3

/// `e^x`, lane-wise. Range reduction `x = n·ln2 + r` with `|r| ≤ ln2/2` (two-part ln2), a
/// degree-6 polynomial for `e^r`, then the scaling by `2^n` (`timesPowerOfTwo`, per CPU level).
/// Inputs are clamped to [``smallestExpArgument``, ``largestExpArgument``], so the result is
/// finite and positive (underflow flushes toward 0).
@inline(__always)
func vexp(_ x: Vec) -> Vec {
  // The clamps are written out rather than `atLeast`/`atMost`: with those calls inside, the
  // compiler stopped inlining vexp (scripts/check-kernel-isolation.sh catches that).
  let low = Vec(repeating: smallestExpArgument)
  let high = Vec(repeating: largestExpArgument)
  return vexpInRange(x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high))
}

/// `e^x`, lane-wise, for `x` already in [``smallestExpArgument``, ``largestExpArgument``]
/// (``vexp`` without its clamps, for a caller whose own bounds make one of them redundant).
@inline(__always)
func vexpInRange(_ clamped: Vec) -> Vec {
  // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
  let magic = Vec(repeating: 12_582_912)
  let shifted = madd(clamped, Vec(repeating: 1.442_695_04), magic)
  let n = shifted - magic
  var r = madd(n, Vec(repeating: -0.693_145_751_953_125), clamped)
  r = madd(n, Vec(repeating: -1.428_606_765_330_187e-06), r)
  var p = Vec(repeating: 1.987_569_150e-4)
  p = madd(p, r, Vec(repeating: 1.398_199_950e-3))
  p = madd(p, r, Vec(repeating: 8.333_451_907e-3))
  p = madd(p, r, Vec(repeating: 4.166_579_589e-2))
  p = madd(p, r, Vec(repeating: 1.666_666_546e-1))
  p = madd(p, r, Vec(repeating: 5.000_000_120e-1))
  p = madd(p * r, r, r) + Vec(repeating: 1)
  return timesPowerOfTwo(p, n, bits(shifted) &- bits(magic))
}

/// `p · 2^n`, lane-wise, for integers `n` in [-126, 127]: `2^n` built in the exponent field,
/// then one multiply (exact scaling, one rounding when the product is subnormal).
@inline(__always)
func multiplyByPowerOfTwo(_ p: Vec, _ n: VecBits) -> Vec {
  p * float((n &+ VecBits(repeating: 127)) &<< VecBits(repeating: 23))
}

/// `tanh(x)`, lane-wise: an odd Taylor polynomial below |x| = 0.3 (no cancellation), else
/// `1 − 2/(e^{2|x|} + 1)` with the sign restored.
@inline(__always)
func vtanh(_ x: Vec) -> Vec {
  let (ax, sign) = magnitudeAndSign(x)
  let e = vexp(atMost(ax + ax, largestQuotientExponent))
  let large = madd(Vec(repeating: -2), reciprocal(e + Vec(repeating: 1)), Vec(repeating: 1))
  let x2 = x * x
  var p = Vec(repeating: -0.008_863_235_529_902_197)  // -1382/155925
  p = madd(p, x2, Vec(repeating: 0.021_869_488_536_155_2))  // 62/2835
  p = madd(p, x2, Vec(repeating: -0.053_968_253_968_254))  // -17/315
  p = madd(p, x2, Vec(repeating: 0.133_333_333_333_333))  // 2/15
  p = madd(p, x2, Vec(repeating: -0.333_333_333_333_333))
  let small = p * ax * x2 + ax
  // All ones where |x| < 0.3 (positive floats order like their bit patterns).
  let useSmall = (bits(ax) &- bits(Vec(repeating: 0.3))) &>> VecBits(repeating: 31)
  return float(((bits(small) & useSmall) | (bits(large) & ~useSmall)) | sign)
}

/// GELU with the tanh approximation (Flax's default):
/// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, computed as the algebraically equal
/// `x / (1 + e^{−2u})`, which has no cancellation for negative x; `−2u` is
/// `x · (−2√(2/π) − 2√(2/π)·0.044715·x²)`. Inputs below −10 count as −10 (GELU is within 1e-33
/// of 0 there; an unbounded x would scale the capped quotient back up). Transparent, so that
/// it is inlined at every call: with `@inline(__always)` the optimiser stopped inlining it
/// once the tile epilogue called it too, and every caller paid a call per vector.
@_transparent
func vgeluTanh(_ input: Vec) -> Vec {
  let x = atLeast(input, -10)
  let minusTwoU =
    x * madd(x * x, Vec(repeating: -0.071_354_816_272_600_25), Vec(repeating: -1.595_769_121_605_730_8))
  // Capped above at 80 (see largestQuotientExponent), so only vexp's lower clamp can act.
  let exponent = atLeast(atMost(minusTwoU, largestQuotientExponent), smallestExpArgument)
  return x * reciprocal(Vec(repeating: 1) + vexpInRange(exponent))
}

/// `erf(x)`, lane-wise, by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). `|x|` is
/// capped at 9, where erf is 1 in float, so that infinities stay out of `reciprocal` and the
/// last product stays a normal float.
@inline(__always)
func verf(_ x: Vec) -> Vec {
  let (magnitude, sign) = magnitudeAndSign(x)
  let ax = atMost(magnitude, 9)
  let t = reciprocal(madd(Vec(repeating: 0.327_591_1), ax, Vec(repeating: 1)))
  var p = Vec(repeating: 1.061_405_429)
  p = madd(p, t, Vec(repeating: -1.453_152_027))
  p = madd(p, t, Vec(repeating: 1.421_413_741))
  p = madd(p, t, Vec(repeating: -0.284_496_736))
  p = madd(p, t, Vec(repeating: 0.254_829_592))
  let y = Vec(repeating: 1) - p * t * vexp(-(ax * ax))
  return float(bits(y) | sign)
}

/// GELU with the exact error function: `0.5·x·(1 + erf(x/√2))`. Inputs below −10 count as −10,
/// where the result is already 0 (so −∞ gives 0, not ∞ · 0).
@inline(__always)
func vgeluErf(_ input: Vec) -> Vec {
  let x = atLeast(input, -10)
  return Vec(repeating: 0.5) * x * (Vec(repeating: 1) + verf(x * Vec(repeating: 0.707_106_781_186_547_5)))
}

/// Applies a lane-wise function to `count` floats in place; the tail goes through a
/// zero-padded vector so every element uses the same code.
@inline(__always)
func mapInPlace(_ x: UnsafeMutablePointer<Float>, _ count: Int, _ f: (Vec) -> Vec) {
  let raw = UnsafeMutableRawPointer(x)
  var i = 0
  while i + Vec.scalarCount <= count {
    raw.storeBytes(of: f(raw.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self)), toByteOffset: 4 * i, as: Vec.self)
    i += Vec.scalarCount
  }
  if i < count {
    var tail = Vec(repeating: 0)
    for l in 0..<(count - i) { tail[l] = x[i + l] }
    let y = f(tail)
    for l in 0..<(count - i) { x[i + l] = y[l] }
  }
}

/// The sum of a vector's lanes. Written out rather than `SIMD.sum()`, whose generic
/// specialisation would be emitted as a weak symbol shared with other CPU levels' modules.
@inline(__always)
func horizontalSum(_ v: Vec) -> Float {
  var total: Float = 0
  for lane in 0..<Vec.scalarCount { total += v[lane] }
  return total
}
