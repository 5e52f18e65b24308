// Shared backend source (see Gemm.swift). Vectorised transcendental functions on `Vec`,
// accurate to a few float32 ulps, with no per-lane library calls.

// These functions use `mulAdd` (`a·b + c` with the vector operators) rather than the FMA
// `madd`: the standard library implements `SIMD.addingProduct` as a per-lane loop, and in long
// dependent chains like these polynomials the compiler re-vectorises it only partly (measured
// here: GELU ran at ~85 cycles per 16 lanes, split into 8-, 4- and 1-lane pieces). The vector
// operators map to whole-register instructions. The micro-kernel keeps `madd`: its short,
// regular pattern vectorises fully. Signs are handled with integer bit operations.

/// `a·b + c` with the vector operators (two roundings), always whole-register code.
@inline(__always) func mulAdd(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { a * b + c }

@inline(__always) func bits(_ v: Vec) -> VecBits { unsafeBitCast(v, to: VecBits.self) }
@inline(__always) func float(_ b: VecBits) -> Vec { unsafeBitCast(b, to: Vec.self) }

/// `|x|` and the sign bit of `x`, lane-wise.
@inline(__always)
func magnitudeAndSign(_ x: Vec) -> (Vec, VecBits) {
  let b = bits(x)
  return (float(b & VecBits(repeating: 0x7FFF_FFFF)), b & VecBits(repeating: Int32(bitPattern: 0x8000_0000)))
}

/// `e^x`, lane-wise. Range reduction `x = n·ln2 + r` with `|r| ≤ ln2/2` (two-part ln2), a
/// degree-6 polynomial for `e^r`, and `2^n` built in the exponent field. Inputs are clamped to
/// [-87.3, 88.3], so the result is finite and positive (underflow flushes toward 0).
@inline(__always)
func vexp(_ x: Vec) -> Vec {
  let low = Vec(repeating: -87.3)
  let high = Vec(repeating: 88.3)
  let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
  // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
  let magic = Vec(repeating: 12_582_912)
  let shifted = mulAdd(clamped, Vec(repeating: 1.442_695_04), magic)
  let n = shifted - magic
  var r = mulAdd(n, Vec(repeating: -0.693_145_751_953_125), clamped)
  r = mulAdd(n, Vec(repeating: -1.428_606_765_330_187e-06), r)
  var p = Vec(repeating: 1.987_569_150e-4)
  p = mulAdd(p, r, Vec(repeating: 1.398_199_950e-3))
  p = mulAdd(p, r, Vec(repeating: 8.333_451_907e-3))
  p = mulAdd(p, r, Vec(repeating: 4.166_579_589e-2))
  p = mulAdd(p, r, Vec(repeating: 1.666_666_546e-1))
  p = mulAdd(p, r, Vec(repeating: 5.000_000_120e-1))
  p = mulAdd(p * r, r, r) + Vec(repeating: 1)
  let exponent = bits(shifted) &- bits(magic)
  return p * float((exponent &+ VecBits(repeating: 127)) &<< VecBits(repeating: 23))
}

/// `tanh(x)`, lane-wise: an odd Taylor polynomial below |x| = 0.3 (no cancellation), else
/// `1 − 2/(e^{2|x|} + 1)` with the sign restored.
@inline(__always)
func vtanh(_ x: Vec) -> Vec {
  let (ax, sign) = magnitudeAndSign(x)
  let large = Vec(repeating: 1) - Vec(repeating: 2) / (vexp(ax + ax) + Vec(repeating: 1))
  let x2 = x * x
  var p = Vec(repeating: -0.008_863_235_529_902_197)  // -1382/155925
  p = mulAdd(p, x2, Vec(repeating: 0.021_869_488_536_155_2))  // 62/2835
  p = mulAdd(p, x2, Vec(repeating: -0.053_968_253_968_254))  // -17/315
  p = mulAdd(p, x2, Vec(repeating: 0.133_333_333_333_333))  // 2/15
  p = mulAdd(p, x2, Vec(repeating: -0.333_333_333_333_333))
  let small = mulAdd(p * ax * x2, Vec(repeating: 1), ax)
  // All ones where |x| < 0.3 (positive floats order like their bit patterns).
  let useSmall = (bits(ax) &- bits(Vec(repeating: 0.3))) &>> VecBits(repeating: 31)
  return float(((bits(small) & useSmall) | (bits(large) & ~useSmall)) | sign)
}

/// GELU with the tanh approximation (Flax's default):
/// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, computed as the algebraically equal
/// `x / (1 + e^{−2u})`, which has no cancellation for negative x.
@inline(__always)
func vgeluTanh(_ x: Vec) -> Vec {
  let u = Vec(repeating: 0.797_884_560_802_865_4) * mulAdd(Vec(repeating: 0.044_715) * x * x, x, x)
  return x / (Vec(repeating: 1) + vexp(Vec(repeating: -2) * u))
}

/// `erf(x)`, lane-wise, by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
@inline(__always)
func verf(_ x: Vec) -> Vec {
  let (ax, sign) = magnitudeAndSign(x)
  let t = Vec(repeating: 1) / mulAdd(Vec(repeating: 0.327_591_1), ax, Vec(repeating: 1))
  var p = Vec(repeating: 1.061_405_429)
  p = mulAdd(p, t, Vec(repeating: -1.453_152_027))
  p = mulAdd(p, t, Vec(repeating: 1.421_413_741))
  p = mulAdd(p, t, Vec(repeating: -0.284_496_736))
  p = mulAdd(p, t, Vec(repeating: 0.254_829_592))
  let y = Vec(repeating: 1) - p * t * vexp(-(ax * ax))
  return float(bits(y) | sign)
}

/// GELU with the exact error function: `0.5·x·(1 + erf(x/√2))`.
@inline(__always)
func vgeluErf(_ x: Vec) -> Vec {
  Vec(repeating: 0.5) * x * (Vec(repeating: 1) + verf(x * Vec(repeating: 0.707_106_781_186_547_5)))
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
