// The micro-kernels of KernelsAVX512, generated in this shape on purpose: every accumulator is
// a named local so the compiler keeps all of them in registers for the whole K loop.

/// `C[12×32] (+)= Apanel · Bpanel` over `kc` steps: 24 accumulators, 2 B loads and
/// 12 broadcasts of A per step. `a` is a packed 12-row panel of A, `b` a packed 32-column
/// panel of B; `c` is row-major with leading dimension `ldc`.
@inline(never)
func microKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
  var c0_0 = Vec(), c0_1 = Vec()
  var c1_0 = Vec(), c1_1 = Vec()
  var c2_0 = Vec(), c2_1 = Vec()
  var c3_0 = Vec(), c3_1 = Vec()
  var c4_0 = Vec(), c4_1 = Vec()
  var c5_0 = Vec(), c5_1 = Vec()
  var c6_0 = Vec(), c6_1 = Vec()
  var c7_0 = Vec(), c7_1 = Vec()
  var c8_0 = Vec(), c8_1 = Vec()
  var c9_0 = Vec(), c9_1 = Vec()
  var c10_0 = Vec(), c10_1 = Vec()
  var c11_0 = Vec(), c11_1 = Vec()
  var pa = a
  var pb = UnsafeRawPointer(b)
  for _ in 0..<kc {
    let b0 = pb.loadUnaligned(fromByteOffset: 0, as: Vec.self)
    let b1 = pb.loadUnaligned(fromByteOffset: 64, as: Vec.self)
    let a0 = Vec(repeating: pa[0])
    c0_0 = madd(a0, b0, c0_0); c0_1 = madd(a0, b1, c0_1)
    let a1 = Vec(repeating: pa[1])
    c1_0 = madd(a1, b0, c1_0); c1_1 = madd(a1, b1, c1_1)
    let a2 = Vec(repeating: pa[2])
    c2_0 = madd(a2, b0, c2_0); c2_1 = madd(a2, b1, c2_1)
    let a3 = Vec(repeating: pa[3])
    c3_0 = madd(a3, b0, c3_0); c3_1 = madd(a3, b1, c3_1)
    let a4 = Vec(repeating: pa[4])
    c4_0 = madd(a4, b0, c4_0); c4_1 = madd(a4, b1, c4_1)
    let a5 = Vec(repeating: pa[5])
    c5_0 = madd(a5, b0, c5_0); c5_1 = madd(a5, b1, c5_1)
    let a6 = Vec(repeating: pa[6])
    c6_0 = madd(a6, b0, c6_0); c6_1 = madd(a6, b1, c6_1)
    let a7 = Vec(repeating: pa[7])
    c7_0 = madd(a7, b0, c7_0); c7_1 = madd(a7, b1, c7_1)
    let a8 = Vec(repeating: pa[8])
    c8_0 = madd(a8, b0, c8_0); c8_1 = madd(a8, b1, c8_1)
    let a9 = Vec(repeating: pa[9])
    c9_0 = madd(a9, b0, c9_0); c9_1 = madd(a9, b1, c9_1)
    let a10 = Vec(repeating: pa[10])
    c10_0 = madd(a10, b0, c10_0); c10_1 = madd(a10, b1, c10_1)
    let a11 = Vec(repeating: pa[11])
    c11_0 = madd(a11, b0, c11_0); c11_1 = madd(a11, b1, c11_1)
    pa += 12
    pb += 128
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1 + out.loadUnaligned(fromByteOffset: 64, as: Vec.self), toByteOffset: 64, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 16), as: Vec.self), toByteOffset: 4 * (1 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c2_0 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 0), as: Vec.self), toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 16), as: Vec.self), toByteOffset: 4 * (2 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c3_0 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 0), as: Vec.self), toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 16), as: Vec.self), toByteOffset: 4 * (3 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c4_0 + out.loadUnaligned(fromByteOffset: 4 * (4 * ldc + 0), as: Vec.self), toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_1 + out.loadUnaligned(fromByteOffset: 4 * (4 * ldc + 16), as: Vec.self), toByteOffset: 4 * (4 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c5_0 + out.loadUnaligned(fromByteOffset: 4 * (5 * ldc + 0), as: Vec.self), toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_1 + out.loadUnaligned(fromByteOffset: 4 * (5 * ldc + 16), as: Vec.self), toByteOffset: 4 * (5 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c6_0 + out.loadUnaligned(fromByteOffset: 4 * (6 * ldc + 0), as: Vec.self), toByteOffset: 4 * (6 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c6_1 + out.loadUnaligned(fromByteOffset: 4 * (6 * ldc + 16), as: Vec.self), toByteOffset: 4 * (6 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c7_0 + out.loadUnaligned(fromByteOffset: 4 * (7 * ldc + 0), as: Vec.self), toByteOffset: 4 * (7 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c7_1 + out.loadUnaligned(fromByteOffset: 4 * (7 * ldc + 16), as: Vec.self), toByteOffset: 4 * (7 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c8_0 + out.loadUnaligned(fromByteOffset: 4 * (8 * ldc + 0), as: Vec.self), toByteOffset: 4 * (8 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c8_1 + out.loadUnaligned(fromByteOffset: 4 * (8 * ldc + 16), as: Vec.self), toByteOffset: 4 * (8 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c9_0 + out.loadUnaligned(fromByteOffset: 4 * (9 * ldc + 0), as: Vec.self), toByteOffset: 4 * (9 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c9_1 + out.loadUnaligned(fromByteOffset: 4 * (9 * ldc + 16), as: Vec.self), toByteOffset: 4 * (9 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c10_0 + out.loadUnaligned(fromByteOffset: 4 * (10 * ldc + 0), as: Vec.self), toByteOffset: 4 * (10 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c10_1 + out.loadUnaligned(fromByteOffset: 4 * (10 * ldc + 16), as: Vec.self), toByteOffset: 4 * (10 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c11_0 + out.loadUnaligned(fromByteOffset: 4 * (11 * ldc + 0), as: Vec.self), toByteOffset: 4 * (11 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c11_1 + out.loadUnaligned(fromByteOffset: 4 * (11 * ldc + 16), as: Vec.self), toByteOffset: 4 * (11 * ldc + 16), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1, toByteOffset: 64, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1, toByteOffset: 4 * (1 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c2_0, toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1, toByteOffset: 4 * (2 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c3_0, toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1, toByteOffset: 4 * (3 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c4_0, toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_1, toByteOffset: 4 * (4 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c5_0, toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_1, toByteOffset: 4 * (5 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c6_0, toByteOffset: 4 * (6 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c6_1, toByteOffset: 4 * (6 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c7_0, toByteOffset: 4 * (7 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c7_1, toByteOffset: 4 * (7 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c8_0, toByteOffset: 4 * (8 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c8_1, toByteOffset: 4 * (8 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c9_0, toByteOffset: 4 * (9 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c9_1, toByteOffset: 4 * (9 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c10_0, toByteOffset: 4 * (10 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c10_1, toByteOffset: 4 * (10 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c11_0, toByteOffset: 4 * (11 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c11_1, toByteOffset: 4 * (11 * ldc + 16), as: Vec.self)
  }
}

/// The left 16 columns of ``microKernel(_:_:_:_:_:_:)``, for the last panel of B when it holds
/// 16 columns or fewer: half the multiply-adds, reading the same packed panel.
@inline(never)
func narrowMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
  var c0_0 = Vec()
  var c1_0 = Vec()
  var c2_0 = Vec()
  var c3_0 = Vec()
  var c4_0 = Vec()
  var c5_0 = Vec()
  var c6_0 = Vec()
  var c7_0 = Vec()
  var c8_0 = Vec()
  var c9_0 = Vec()
  var c10_0 = Vec()
  var c11_0 = Vec()
  var pa = a
  var pb = UnsafeRawPointer(b)
  for _ in 0..<kc {
    let b0 = pb.loadUnaligned(fromByteOffset: 0, as: Vec.self)
    let a0 = Vec(repeating: pa[0])
    c0_0 = madd(a0, b0, c0_0)
    let a1 = Vec(repeating: pa[1])
    c1_0 = madd(a1, b0, c1_0)
    let a2 = Vec(repeating: pa[2])
    c2_0 = madd(a2, b0, c2_0)
    let a3 = Vec(repeating: pa[3])
    c3_0 = madd(a3, b0, c3_0)
    let a4 = Vec(repeating: pa[4])
    c4_0 = madd(a4, b0, c4_0)
    let a5 = Vec(repeating: pa[5])
    c5_0 = madd(a5, b0, c5_0)
    let a6 = Vec(repeating: pa[6])
    c6_0 = madd(a6, b0, c6_0)
    let a7 = Vec(repeating: pa[7])
    c7_0 = madd(a7, b0, c7_0)
    let a8 = Vec(repeating: pa[8])
    c8_0 = madd(a8, b0, c8_0)
    let a9 = Vec(repeating: pa[9])
    c9_0 = madd(a9, b0, c9_0)
    let a10 = Vec(repeating: pa[10])
    c10_0 = madd(a10, b0, c10_0)
    let a11 = Vec(repeating: pa[11])
    c11_0 = madd(a11, b0, c11_0)
    pa += 12
    pb += 128
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_0 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 0), as: Vec.self), toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_0 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 0), as: Vec.self), toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_0 + out.loadUnaligned(fromByteOffset: 4 * (4 * ldc + 0), as: Vec.self), toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_0 + out.loadUnaligned(fromByteOffset: 4 * (5 * ldc + 0), as: Vec.self), toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c6_0 + out.loadUnaligned(fromByteOffset: 4 * (6 * ldc + 0), as: Vec.self), toByteOffset: 4 * (6 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c7_0 + out.loadUnaligned(fromByteOffset: 4 * (7 * ldc + 0), as: Vec.self), toByteOffset: 4 * (7 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c8_0 + out.loadUnaligned(fromByteOffset: 4 * (8 * ldc + 0), as: Vec.self), toByteOffset: 4 * (8 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c9_0 + out.loadUnaligned(fromByteOffset: 4 * (9 * ldc + 0), as: Vec.self), toByteOffset: 4 * (9 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c10_0 + out.loadUnaligned(fromByteOffset: 4 * (10 * ldc + 0), as: Vec.self), toByteOffset: 4 * (10 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c11_0 + out.loadUnaligned(fromByteOffset: 4 * (11 * ldc + 0), as: Vec.self), toByteOffset: 4 * (11 * ldc + 0), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_0, toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_0, toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_0, toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_0, toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c6_0, toByteOffset: 4 * (6 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c7_0, toByteOffset: 4 * (7 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c8_0, toByteOffset: 4 * (8 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c9_0, toByteOffset: 4 * (9 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c10_0, toByteOffset: 4 * (10 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c11_0, toByteOffset: 4 * (11 * ldc + 0), as: Vec.self)
  }
}

/// The top 6 rows of ``microKernel(_:_:_:_:_:_:)``, for the last panel of A when it holds
/// 6 rows or fewer (196 or 197 tokens leave 4 or 5 after sixteen 12-row panels), reading the same packed panel.
@inline(never)
func shortMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
  var c0_0 = Vec(), c0_1 = Vec()
  var c1_0 = Vec(), c1_1 = Vec()
  var c2_0 = Vec(), c2_1 = Vec()
  var c3_0 = Vec(), c3_1 = Vec()
  var c4_0 = Vec(), c4_1 = Vec()
  var c5_0 = Vec(), c5_1 = Vec()
  var pa = a
  var pb = UnsafeRawPointer(b)
  for _ in 0..<kc {
    let b0 = pb.loadUnaligned(fromByteOffset: 0, as: Vec.self)
    let b1 = pb.loadUnaligned(fromByteOffset: 64, as: Vec.self)
    let a0 = Vec(repeating: pa[0])
    c0_0 = madd(a0, b0, c0_0); c0_1 = madd(a0, b1, c0_1)
    let a1 = Vec(repeating: pa[1])
    c1_0 = madd(a1, b0, c1_0); c1_1 = madd(a1, b1, c1_1)
    let a2 = Vec(repeating: pa[2])
    c2_0 = madd(a2, b0, c2_0); c2_1 = madd(a2, b1, c2_1)
    let a3 = Vec(repeating: pa[3])
    c3_0 = madd(a3, b0, c3_0); c3_1 = madd(a3, b1, c3_1)
    let a4 = Vec(repeating: pa[4])
    c4_0 = madd(a4, b0, c4_0); c4_1 = madd(a4, b1, c4_1)
    let a5 = Vec(repeating: pa[5])
    c5_0 = madd(a5, b0, c5_0); c5_1 = madd(a5, b1, c5_1)
    pa += 12
    pb += 128
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1 + out.loadUnaligned(fromByteOffset: 64, as: Vec.self), toByteOffset: 64, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 16), as: Vec.self), toByteOffset: 4 * (1 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c2_0 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 0), as: Vec.self), toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 16), as: Vec.self), toByteOffset: 4 * (2 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c3_0 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 0), as: Vec.self), toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 16), as: Vec.self), toByteOffset: 4 * (3 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c4_0 + out.loadUnaligned(fromByteOffset: 4 * (4 * ldc + 0), as: Vec.self), toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_1 + out.loadUnaligned(fromByteOffset: 4 * (4 * ldc + 16), as: Vec.self), toByteOffset: 4 * (4 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c5_0 + out.loadUnaligned(fromByteOffset: 4 * (5 * ldc + 0), as: Vec.self), toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_1 + out.loadUnaligned(fromByteOffset: 4 * (5 * ldc + 16), as: Vec.self), toByteOffset: 4 * (5 * ldc + 16), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1, toByteOffset: 64, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1, toByteOffset: 4 * (1 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c2_0, toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1, toByteOffset: 4 * (2 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c3_0, toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1, toByteOffset: 4 * (3 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c4_0, toByteOffset: 4 * (4 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c4_1, toByteOffset: 4 * (4 * ldc + 16), as: Vec.self)
    out.storeBytes(of: c5_0, toByteOffset: 4 * (5 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c5_1, toByteOffset: 4 * (5 * ldc + 16), as: Vec.self)
  }
}
