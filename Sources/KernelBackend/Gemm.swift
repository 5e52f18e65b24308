// Shared by KernelsAVX512, KernelsAVX2 and KernelsPortable (each links this folder as
// `Shared` and compiles it with its own target CPU). `Vec`, `Tile` and `microKernel` come
// from the including module.

/// Blocked single-threaded GEMM: `C[m×n] (+)= A[m×k] · B[k×n]`.
///
/// A and B are strided views (element (i, p) of A at `a[i·aRow + p·aCol]`), so either operand
/// may be a transpose without being materialised. C is row-major with leading dimension `ldc`.
/// Loop order: for each `nc`-wide panel of B and `kc`-deep slice, pack the slice of B into
/// `NR`-wide micro-panels (kept in L2), then for each `mc`-tall block of A pack it into `MR`-tall
/// micro-panels and, for each A micro-panel (kept in L1), sweep the B micro-panels. (Measured
/// here against the BLIS order, which keeps the B micro-panel in L1 instead: with the
/// 12×32 AVX-512 tile the B micro-panel of a deep slice fills L1, and this order was faster.)
/// Edge tiles run the micro-kernel on zero-padded panels into a scratch tile (the narrow one
/// when at most half the columns are real).
@inline(__always)
func blockedGemm(
  _ m: Int, _ n: Int, _ k: Int,
  _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
  _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ accumulate: Bool, _ workspace: UnsafeMutablePointer<Float>
) {
  guard m > 0, n > 0 else { return }
  if k == 0 {
    if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
    return
  }
  let packedA = workspace
  let packedB = workspace + Tile.mc * Tile.kc
  let scratch = packedB + Tile.kc * Tile.nc
  var jc = 0
  while jc < n {
    let nc = min(Tile.nc, n - jc)
    var pc = 0
    while pc < k {
      let kc = min(Tile.kc, k - pc)
      let add = accumulate || pc > 0
      packB(kc, nc, b + pc * bRow + jc * bCol, bRow, bCol, packedB)
      var ic = 0
      while ic < m {
        let mc = min(Tile.mc, m - ic)
        packA(mc, kc, a + ic * aRow + pc * aCol, aRow, aCol, packedA)
        var ir = 0
        while ir < mc {
          let mr = min(Tile.mr, mc - ir)
          let aPanel = UnsafePointer(packedA + ir * kc)
          var jr = 0
          while jr < nc {
            let nr = min(Tile.nr, nc - jr)
            let bPanel = UnsafePointer(packedB + jr * kc)
            let target = c + (ic + ir) * ldc + jc + jr
            if mr == Tile.mr, nr == Tile.nr {
              microKernel(kc, aPanel, bPanel, target, ldc, add)
            } else {
              if nr <= Tile.nr / 2 {
                narrowMicroKernel(kc, aPanel, bPanel, scratch, Tile.nr, false)
              } else {
                microKernel(kc, aPanel, bPanel, scratch, Tile.nr, false)
              }
              for i in 0..<mr {
                let row = target + i * ldc
                let tile = scratch + i * Tile.nr
                if add {
                  for j in 0..<nr { row[j] += tile[j] }
                } else {
                  for j in 0..<nr { row[j] = tile[j] }
                }
              }
            }
            jr += Tile.nr
          }
          ir += Tile.mr
        }
        ic += mc
      }
      pc += kc
    }
    jc += nc
  }
}

/// Floats of workspace ``blockedGemm`` needs.
var gemmWorkspaceCount: Int { Tile.mc * Tile.kc + Tile.kc * Tile.nc + Tile.mr * Tile.nr }

/// Packs an `mc × kc` block of A into `MR`-row micro-panels: panel `r` holds, for each `p`,
/// the `MR` values `A[r·MR + i, p]` contiguously; rows past `mc` are zero.
@inline(__always)
func packA(_ mc: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
           _ out: UnsafeMutablePointer<Float>) {
  var panel = 0
  while panel < mc {
    let rows = min(Tile.mr, mc - panel)
    let dst = out + panel * kc
    if aCol == 1 {
      // Row-major A: transpose 4×4 blocks in registers (four rows, four steps of p at a time).
      var i = 0
      while i + 4 <= rows {
        let r0 = a + (panel + i) * aRow
        let r1 = r0 + aRow
        let r2 = r1 + aRow
        let r3 = r2 + aRow
        var p = 0
        while p + 4 <= kc {
          let v0 = UnsafeRawPointer(r0 + p).loadUnaligned(as: SIMD4<Float>.self)
          let v1 = UnsafeRawPointer(r1 + p).loadUnaligned(as: SIMD4<Float>.self)
          let v2 = UnsafeRawPointer(r2 + p).loadUnaligned(as: SIMD4<Float>.self)
          let v3 = UnsafeRawPointer(r3 + p).loadUnaligned(as: SIMD4<Float>.self)
          let out = UnsafeMutableRawPointer(dst + p * Tile.mr + i)
          out.storeBytes(of: SIMD4(v0[0], v1[0], v2[0], v3[0]), as: SIMD4<Float>.self)
          out.storeBytes(of: SIMD4(v0[1], v1[1], v2[1], v3[1]), toByteOffset: 4 * Tile.mr, as: SIMD4<Float>.self)
          out.storeBytes(of: SIMD4(v0[2], v1[2], v2[2], v3[2]), toByteOffset: 8 * Tile.mr, as: SIMD4<Float>.self)
          out.storeBytes(of: SIMD4(v0[3], v1[3], v2[3], v3[3]), toByteOffset: 12 * Tile.mr, as: SIMD4<Float>.self)
          p += 4
        }
        while p < kc {
          dst[p * Tile.mr + i] = r0[p]
          dst[p * Tile.mr + i + 1] = r1[p]
          dst[p * Tile.mr + i + 2] = r2[p]
          dst[p * Tile.mr + i + 3] = r3[p]
          p += 1
        }
        i += 4
      }
      while i < rows {
        let src = a + (panel + i) * aRow
        for p in 0..<kc { dst[p * Tile.mr + i] = src[p] }
        i += 1
      }
    } else {
      for p in 0..<kc {
        let src = a + p * aCol + panel * aRow
        for i in 0..<rows { dst[p * Tile.mr + i] = src[i * aRow] }
      }
    }
    if rows < Tile.mr {
      for p in 0..<kc { for i in rows..<Tile.mr { dst[p * Tile.mr + i] = 0 } }
    }
    panel += Tile.mr
  }
}

/// Packs a `kc × nc` panel of B into `NR`-column micro-panels: panel `j` holds, for each `p`,
/// the `NR` values `B[p, j·NR + l]` contiguously; columns past `nc` are zero.
@inline(__always)
func packB(_ kc: Int, _ nc: Int, _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
           _ out: UnsafeMutablePointer<Float>) {
  var panel = 0
  while panel < nc {
    let cols = min(Tile.nr, nc - panel)
    let dst = out + panel * kc
    if bCol == 1, cols == Tile.nr {
      for p in 0..<kc {
        let src = UnsafeRawPointer(b + p * bRow + panel)
        let row = UnsafeMutableRawPointer(dst + p * Tile.nr)
        var l = 0
        while l < Tile.nr {
          row.storeBytes(of: src.loadUnaligned(fromByteOffset: 4 * l, as: Vec.self), toByteOffset: 4 * l, as: Vec.self)
          l += Vec.scalarCount
        }
      }
    } else if bRow == 1 {
      for l in 0..<cols {
        let src = b + (panel + l) * bCol
        for p in 0..<kc { dst[p * Tile.nr + l] = src[p] }
      }
      if cols < Tile.nr { for p in 0..<kc { for l in cols..<Tile.nr { dst[p * Tile.nr + l] = 0 } } }
    } else {
      for p in 0..<kc {
        let src = b + p * bRow + panel * bCol
        for l in 0..<cols { dst[p * Tile.nr + l] = src[l * bCol] }
        for l in cols..<Tile.nr { dst[p * Tile.nr + l] = 0 }
      }
    }
    panel += Tile.nr
  }
}
