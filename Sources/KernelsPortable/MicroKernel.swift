// The micro-kernels of KernelsPortable, generated in this shape on purpose: every accumulator is
// a named local so the compiler keeps all of them in registers for the whole K loop.

/// `C[4×8] (+)= Apanel · Bpanel` over `kc` steps: 8 accumulators, 2 B loads and
/// 4 broadcasts of A per step. `a` is a packed 4-row panel of A, `b` a packed 8-column
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
  var pa = a
  var pb = UnsafeRawPointer(b)
  for _ in 0..<kc {
    let b0 = pb.loadUnaligned(fromByteOffset: 0, as: Vec.self)
    let b1 = pb.loadUnaligned(fromByteOffset: 16, as: Vec.self)
    let a0 = Vec(repeating: pa[0])
    c0_0 = madd(a0, b0, c0_0); c0_1 = madd(a0, b1, c0_1)
    let a1 = Vec(repeating: pa[1])
    c1_0 = madd(a1, b0, c1_0); c1_1 = madd(a1, b1, c1_1)
    let a2 = Vec(repeating: pa[2])
    c2_0 = madd(a2, b0, c2_0); c2_1 = madd(a2, b1, c2_1)
    let a3 = Vec(repeating: pa[3])
    c3_0 = madd(a3, b0, c3_0); c3_1 = madd(a3, b1, c3_1)
    pa += 4
    pb += 32
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1 + out.loadUnaligned(fromByteOffset: 16, as: Vec.self), toByteOffset: 16, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 4), as: Vec.self), toByteOffset: 4 * (1 * ldc + 4), as: Vec.self)
    out.storeBytes(of: c2_0 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 0), as: Vec.self), toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 4), as: Vec.self), toByteOffset: 4 * (2 * ldc + 4), as: Vec.self)
    out.storeBytes(of: c3_0 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 0), as: Vec.self), toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 4), as: Vec.self), toByteOffset: 4 * (3 * ldc + 4), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1, toByteOffset: 16, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1, toByteOffset: 4 * (1 * ldc + 4), as: Vec.self)
    out.storeBytes(of: c2_0, toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_1, toByteOffset: 4 * (2 * ldc + 4), as: Vec.self)
    out.storeBytes(of: c3_0, toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_1, toByteOffset: 4 * (3 * ldc + 4), as: Vec.self)
  }
}

/// The left 4 columns of ``microKernel(_:_:_:_:_:_:)``, for the last panel of B when it holds
/// 4 columns or fewer: half the multiply-adds, reading the same packed panel.
@inline(never)
func narrowMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
  var c0_0 = Vec()
  var c1_0 = Vec()
  var c2_0 = Vec()
  var c3_0 = Vec()
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
    pa += 4
    pb += 32
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_0 + out.loadUnaligned(fromByteOffset: 4 * (2 * ldc + 0), as: Vec.self), toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_0 + out.loadUnaligned(fromByteOffset: 4 * (3 * ldc + 0), as: Vec.self), toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c2_0, toByteOffset: 4 * (2 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c3_0, toByteOffset: 4 * (3 * ldc + 0), as: Vec.self)
  }
}

/// The top 2 rows of ``microKernel(_:_:_:_:_:_:)``, for the last panel of A when it holds
/// 2 rows or fewer (196 or 197 tokens leave 4 or 5 after sixteen 12-row panels), reading the same packed panel.
@inline(never)
func shortMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
) {
  var c0_0 = Vec(), c0_1 = Vec()
  var c1_0 = Vec(), c1_1 = Vec()
  var pa = a
  var pb = UnsafeRawPointer(b)
  for _ in 0..<kc {
    let b0 = pb.loadUnaligned(fromByteOffset: 0, as: Vec.self)
    let b1 = pb.loadUnaligned(fromByteOffset: 16, as: Vec.self)
    let a0 = Vec(repeating: pa[0])
    c0_0 = madd(a0, b0, c0_0); c0_1 = madd(a0, b1, c0_1)
    let a1 = Vec(repeating: pa[1])
    c1_0 = madd(a1, b0, c1_0); c1_1 = madd(a1, b1, c1_1)
    pa += 4
    pb += 32
  }
  let out = UnsafeMutableRawPointer(c)
  if accumulate {
    out.storeBytes(of: c0_0 + out.loadUnaligned(fromByteOffset: 0, as: Vec.self), toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1 + out.loadUnaligned(fromByteOffset: 16, as: Vec.self), toByteOffset: 16, as: Vec.self)
    out.storeBytes(of: c1_0 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 0), as: Vec.self), toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1 + out.loadUnaligned(fromByteOffset: 4 * (1 * ldc + 4), as: Vec.self), toByteOffset: 4 * (1 * ldc + 4), as: Vec.self)
  } else {
    out.storeBytes(of: c0_0, toByteOffset: 0, as: Vec.self)
    out.storeBytes(of: c0_1, toByteOffset: 16, as: Vec.self)
    out.storeBytes(of: c1_0, toByteOffset: 4 * (1 * ldc + 0), as: Vec.self)
    out.storeBytes(of: c1_1, toByteOffset: 4 * (1 * ldc + 4), as: Vec.self)
  }
}
