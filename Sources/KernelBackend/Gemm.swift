// Shared by KernelsAVX512, KernelsAVX2 and KernelsPortable (each links this folder as
// `Shared` and compiles it with its own target CPU). `Vec`, `Tile` and `microKernel` come
// from the including module.

/// Blocked single-threaded GEMM: `C[m×n] (+)= A[m×k] · B[k×n]`, then an optional epilogue.
///
/// A and B are strided views (element (i, p) of A at `a[i·aRow + p·aCol]`), so either operand
/// may be a transpose without being materialised (a constant B is better pre-packed: see
/// `prepackedGemm`). C is row-major with leading dimension `ldc`. Loop order: for each
/// `nc`-wide panel of B and `kc`-deep slice, pack the slice of B into `NR`-wide micro-panels
/// (kept in L2), then for each `mc`-tall block of A pack it into `MR`-tall micro-panels and,
/// for each A micro-panel (kept in L1), sweep the B micro-panels. (Measured here against the
/// BLIS order, which keeps the B micro-panel in L1 instead: with the 12×32 AVX-512 tile the B
/// micro-panel of a deep slice fills L1, and this order was faster.) A last block thinner than
/// half a block joins the one before (`blockLength`). Edge tiles run the
/// micro-kernel on zero-padded panels into a scratch tile (the narrow one when at most half
/// the columns are real). After the last `kc` slice each finished tile gets the epilogue
/// while it is still in L1: `+ bias[column]` or `+ rowBias[row]`, then GELU (tanh form) if
/// asked.
///
/// With `packedA`, `a` is the whole A packed by `packWholeA`, and is not packed again.
@inline(__always)
func blockedGemm(
  _ m: Int, _ n: Int, _ k: Int,
  _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
  _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ gelu: Bool,
  _ workspace: UnsafeMutablePointer<Float>,
  rowBias: UnsafePointer<Float>? = nil,
  packedA: Bool = false
) {
  guard m > 0, n > 0 else { return }
  if k == 0 { return emptyProduct(m, n, c, ldc, accumulate, bias, rowBias, gelu) }
  let packedABlock = workspace
  let ownPackedB = workspace + packedABlockCount
  let scratch = ownPackedB + packedBBlockCount
  var jc = 0
  while jc < n {
    let nc = blockLength(n - jc, Tile.nc)
    var pc = 0
    while pc < k {
      let kc = blockLength(k - pc, Tile.kc)
      packB(kc, nc, b + pc * bRow + jc * bCol, bRow, bCol, ownPackedB)
      var ic = 0
      while ic < m {
        let mc = blockLength(m - ic, Tile.mc)
        let panels = blockOfA(packedA, m, mc, kc, ic, pc, a, aRow, aCol, into: packedABlock)
        let last = pc + kc == k
        sweep(
          mc, nc, kc, panels, ownPackedB, c + ic * ldc + jc, ldc, accumulate || pc > 0,
          last ? bias.map { $0 + jc } : nil, last ? rowBias.map { $0 + ic } : nil, last && gelu, scratch)
        ic += mc
      }
      pc += kc
    }
    jc += nc
  }
}

/// `C[m × n] (+)= A[m×k] · B[k × columns]`, then the epilogue, where B (`totalColumns` wide) was
/// packed whole by `packWholeB` and the product covers its columns
/// `columnStart ..< columnStart + n` (`columnStart` a multiple of `NR`, so threads can share
/// one packed matrix at micro-panel granularity). B needs no packing here, so each block of A
/// is packed once and swept across every column block of the range.
///
/// With `packedA`, `a` is the whole A packed by `packWholeA` (shared by threads that each take
/// a range of columns), and is not packed again.
@inline(__always)
func prepackedGemm(
  _ m: Int, _ n: Int, _ k: Int,
  _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
  _ b: UnsafePointer<Float>, _ columnStart: Int, _ totalColumns: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ gelu: Bool,
  _ workspace: UnsafeMutablePointer<Float>,
  packedA: Bool = false
) {
  guard m > 0, n > 0 else { return }
  if k == 0 { return emptyProduct(m, n, c, ldc, accumulate, bias, nil, gelu) }
  let packedABlock = workspace
  let scratch = workspace + packedABlockCount + packedBBlockCount
  guard let product = prepackedProduct(m, k, columnStart..<(columnStart + n), totalColumns) else { return }
  var panels = UnsafePointer(packedABlock)
  forEachSweep(of: product) { position, panel, next in
    if startsBlockOfA(position, of: product) {
      panels = blockOfA(
        packedA, m, position.mc, position.kc, position.ic, position.pc, a, aRow, aCol, into: packedABlock)
    }
    let part = blockColumns(position, of: product)
    let last = position.pc + position.kc == k
    sweep(
      position.mc, part.count, position.kc, panels, b + panel.lowerBound,
      c + position.ic * ldc + (part.lowerBound - columnStart), ldc, accumulate || position.pc > 0,
      last ? bias.map { $0 + part.lowerBound - columnStart } : nil, nil, last && gelu, scratch,
      prefetching: next.map { UnsafeRawBufferPointer(start: b + $0.lowerBound, count: 4 * $0.count) })
  }
}

/// The packed `mc × kc` block of A whose first row is `ic` and first step `pc`: a view into
/// the whole A packed by `packWholeA` when `packedA` (then `a` is that packed A), else packed
/// now from the strided A at `a` into `block`.
@inline(__always)
func blockOfA(
  _ packedA: Bool, _ m: Int, _ mc: Int, _ kc: Int, _ ic: Int, _ pc: Int,
  _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int, into block: UnsafeMutablePointer<Float>
) -> UnsafePointer<Float> {
  if packedA { return a + pc * roundUp(m, Tile.mr) + ic * kc }
  packA(mc, kc, a + ic * aRow + pc * aCol, aRow, aCol, block)
  return UnsafePointer(block)
}

/// Multiplies a packed `mc × kc` block of A by a packed `kc × nc` block of B into C: for each
/// A micro-panel (kept in L1), every B micro-panel; edge tiles through `scratch`, with the
/// narrow kernel when at most half the columns are real (the quarter or eighth one, computed down
/// the rows, when at most a quarter or an eighth are) and the short one when few rows are. With
/// `finalBias` (per column), `finalRowBias` (per row) or `finalGELU` (the last `kc` slice) each
/// finished tile gets the epilogue. `next`, the packed panel of B the following sweep reads,
/// is prefetched meanwhile by the full tiles after the first row of micro-panels (so a block
/// of A of one row of micro-panels prefetches nothing).
@inline(__always)
func sweep(
  _ mc: Int, _ nc: Int, _ kc: Int, _ packedA: UnsafePointer<Float>, _ packedB: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ add: Bool, _ finalBias: UnsafePointer<Float>?,
  _ finalRowBias: UnsafePointer<Float>?, _ finalGELU: Bool, _ scratch: UnsafeMutablePointer<Float>,
  prefetching next: UnsafeRawBufferPointer? = nil
) {
  // The next panel is pulled into cache a line per step by the full tiles after the first row
  // of micro-panels (which waits on this panel, streamed from memory) until it is all asked
  // for; the other full tiles prefetch from their own B micro-panel (lines this sweep reads
  // anyway, so almost free).
  var ahead = next?.baseAddress ?? UnsafeRawPointer(packedB)
  var aheadLeft = next?.count ?? 0
  var ir = 0
  while ir < mc {
    let mr = min(Tile.mr, mc - ir)
    let aPanel = packedA + ir * kc
    var jr = 0
    while jr < nc {
      let nr = min(Tile.nr, nc - jr)
      let bPanel = packedB + jr * kc
      let target = c + ir * ldc + jr
      if mr == Tile.mr, nr == Tile.nr {
        if ir > 0, aheadLeft > 0 {
          microKernel(kc, aPanel, bPanel, target, ldc, add, ahead)
          ahead += Tile.aheadBytes * kc
          aheadLeft -= Tile.aheadBytes * kc
        } else {
          microKernel(kc, aPanel, bPanel, target, ldc, add, UnsafeRawPointer(bPanel))
        }
      } else {
        if mr <= Tile.shortRows, nr > Tile.nr / 2 {
          shortMicroKernel(rows: mr, kc, aPanel, bPanel, scratch, Tile.nr, false)
        } else if nr <= Tile.nr / 8 {
          eighthMicroKernel(kc, aPanel, bPanel, scratch, Tile.nr, false)
        } else if nr <= Tile.nr / 4 {
          quarterMicroKernel(kc, aPanel, bPanel, scratch, Tile.nr, false)
        } else if nr <= Tile.nr / 2 {
          narrowMicroKernel(kc, aPanel, bPanel, scratch, Tile.nr, false)
        } else {
          microKernel(kc, aPanel, bPanel, scratch, Tile.nr, false, UnsafeRawPointer(bPanel))
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
      if finalBias != nil || finalRowBias != nil || finalGELU {
        epilogue(target, ldc, mr, nr, finalBias.map { $0 + jr }, finalRowBias.map { $0 + ir }, finalGELU)
      }
      jr += Tile.nr
    }
    ir += Tile.mr
  }
}

/// A product over no depth: C is zero (or kept, when accumulating), then the epilogue.
@inline(__always)
func emptyProduct(
  _ m: Int, _ n: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
  _ bias: UnsafePointer<Float>?, _ rowBias: UnsafePointer<Float>?, _ gelu: Bool
) {
  if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
  if bias != nil || rowBias != nil || gelu { epilogue(c, ldc, m, n, bias, rowBias, gelu) }
}

/// `C[i, j] = gelu?(C[i, j] + bias[j] + rowBias[i])` over `rows × columns` values (rows `ldc`
/// apart; each term when given) in one pass: each vector is loaded once, gets both biases and
/// GELU, and is stored once, the rows' vectors one after another in one loop, then each row's
/// last few values. (Zen 4, one thread, batch 1: the epilogue's share of the samples 4.1% →
/// 2.4% for Mixer-B/16, whose token and channel MLPs both end in GELU, against a loop per term
/// over each row, storing and reloading between them.) Not inlined into the sweep, which is
/// long enough already.
@inline(never)
func epilogue(
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int, _ columns: Int, _ bias: UnsafePointer<Float>?,
  _ rowBias: UnsafePointer<Float>?, _ gelu: Bool
) {
  let whole = columns / Vec.scalarCount * Vec.scalarCount
  let raw = UnsafeMutableRawPointer(c)
  for row in 0..<rows {
    var column = 0
    while column < whole {
      let offset = 4 * (row * ldc + column)
      var v = raw.loadUnaligned(fromByteOffset: offset, as: Vec.self)
      if let bias { v += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 4 * column, as: Vec.self) }
      if let rowBias { v += Vec(repeating: rowBias[row]) }
      raw.storeBytes(of: gelu ? vgeluTanh(v) : v, toByteOffset: offset, as: Vec.self)
      column += Vec.scalarCount
    }
  }
  guard whole < columns else { return }
  for row in 0..<rows {
    let rest = c + row * ldc + whole
    for j in 0..<(columns - whole) {
      if let bias { rest[j] += bias[whole + j] }
      if let rowBias { rest[j] += rowBias[row] }
    }
    if gelu { mapInPlace(rest, columns - whole, vgeluTanh) }
  }
}

@inline(__always)
func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

/// The length of the next cache block along a dimension with `remaining` values left: `block`,
/// or all of `remaining` when a full block would leave less than half a block. A thin last
/// block would cost a whole extra pass over the other operand for little work (a batch-1
/// product of 196 rows in blocks of 192 streamed every weight twice, the second time for 4
/// rows), and a thin last `kc` slice an extra pass over C.
@inline(__always)
func blockLength(_ remaining: Int, _ block: Int) -> Int { remaining < block + block / 2 ? remaining : block }

/// The longest block `blockLength` returns for a block size.
@inline(__always)
func longestBlock(_ block: Int) -> Int { block + block / 2 - 1 }

/// Floats of the packed block of A, and of B, that `blockLength`'s longest blocks need.
var packedABlockCount: Int { roundUp(longestBlock(Tile.mc), Tile.mr) * longestBlock(Tile.kc) }
var packedBBlockCount: Int { longestBlock(Tile.kc) * roundUp(longestBlock(Tile.nc), Tile.nr) }

/// Floats a whole `k × n` matrix occupies once packed by `packWholeB`.
@inline(__always)
func packedWholeBCount(_ k: Int, _ n: Int) -> Int {
  var total = 0
  var jc = 0
  while jc < n {
    let nc = blockLength(n - jc, Tile.nc)
    total += k * roundUp(nc, Tile.nr)
    jc += nc
  }
  return total
}

/// Packs a whole `k × n` matrix in the order `blockedGemm` reads it, so a constant operand
/// (a weight matrix) is packed once instead of on every product: for each `nc`-wide block,
/// for each `kc`-deep slice, the slice's `NR`-wide micro-panels. Only the blocks that start in
/// `blockStarts` (columns; `0..<n` for all) are packed, each in its place in the whole, so
/// threads taking disjoint ranges of columns pack one B together.
@inline(__always)
func packWholeB(
  _ k: Int, _ n: Int, _ blockStarts: Range<Int>, _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
  _ out: UnsafeMutablePointer<Float>
) {
  var offset = 0
  var jc = 0
  while jc < n {
    let nc = blockLength(n - jc, Tile.nc)
    var pc = 0
    while pc < k {
      let kc = blockLength(k - pc, Tile.kc)
      if blockStarts.contains(jc) { packB(kc, nc, b + pc * bRow + jc * bCol, bRow, bCol, out + offset) }
      offset += kc * roundUp(nc, Tile.nr)
      pc += kc
    }
    jc += nc
  }
}

/// Floats a whole `m × k` left operand occupies once packed by `packWholeA`.
@inline(__always)
func packedWholeACount(_ m: Int, _ k: Int) -> Int { roundUp(m, Tile.mr) * k }

/// Packs a whole `m × k` left operand in the order `blockedGemm` and `prepackedGemm` read it
/// with `packedA`, so A is packed once for many products (a weight matrix on the left) or for
/// many parts of one: for each `kc`-deep slice, every `MR`-row micro-panel of all the rows
/// (`packA`'s layout, zero rows past `m`). Only `rows` (of all `m`; its start a multiple of `MR`)
/// are packed, so threads can pack one A together.
@inline(__always)
func packWholeA(
  _ m: Int, _ k: Int, rows: Range<Int>, _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
  _ out: UnsafeMutablePointer<Float>
) {
  var pc = 0
  while pc < k {
    let kc = blockLength(k - pc, Tile.kc)
    packA(
      rows.count, kc, a + rows.lowerBound * aRow + pc * aCol, aRow, aCol,
      out + pc * roundUp(m, Tile.mr) + rows.lowerBound * kc)
    pc += kc
  }
}

/// Floats of workspace ``blockedGemm`` needs.
var gemmWorkspaceCount: Int { packedABlockCount + packedBBlockCount + Tile.mr * Tile.nr }

/// Packs an `mc × kc` block of A into `MR`-row micro-panels: panel `r` holds, for each `p`,
/// the `MR` values `A[r·MR + i, p]` contiguously; rows past `mc` are zero.
@inline(__always)
func packA(
  _ mc: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ aRow: Int, _ aCol: Int,
  _ out: UnsafeMutablePointer<Float>
) {
  var panel = 0
  while panel < mc {
    let rows = min(Tile.mr, mc - panel)
    let dst = out + panel * kc
    if aCol == 1 {
      // Row-major A: transpose blocks in registers, four steps of p at a time: 4×4 blocks, then
      // 2×4 for two rows left (the AVX2 tile's 6: one value at a time they took a third of the
      // product driver's samples there, about 1% of a one-thread Mixer-B/16 pass on Zen 3),
      // then a last row and the last `kc % 4` steps of every row one value at a time.
      let whole = kc / 4 * 4
      var i = 0
      while i + 4 <= rows {
        let r0 = a + (panel + i) * aRow
        let r1 = r0 + aRow
        let r2 = r1 + aRow
        let r3 = r2 + aRow
        var p = 0
        while p < whole {
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
        i += 4
      }
      if i + 2 <= rows {
        let r0 = a + (panel + i) * aRow
        let r1 = r0 + aRow
        var p = 0
        while p < whole {
          let v0 = UnsafeRawPointer(r0 + p).loadUnaligned(as: SIMD4<Float>.self)
          let v1 = UnsafeRawPointer(r1 + p).loadUnaligned(as: SIMD4<Float>.self)
          let out = UnsafeMutableRawPointer(dst + p * Tile.mr + i)
          out.storeBytes(of: SIMD2(v0[0], v1[0]), as: SIMD2<Float>.self)
          out.storeBytes(of: SIMD2(v0[1], v1[1]), toByteOffset: 4 * Tile.mr, as: SIMD2<Float>.self)
          out.storeBytes(of: SIMD2(v0[2], v1[2]), toByteOffset: 8 * Tile.mr, as: SIMD2<Float>.self)
          out.storeBytes(of: SIMD2(v0[3], v1[3]), toByteOffset: 12 * Tile.mr, as: SIMD2<Float>.self)
          p += 4
        }
        i += 2
      }
      if i < rows {
        let src = a + (panel + i) * aRow
        for p in 0..<whole { dst[p * Tile.mr + i] = src[p] }
      }
      for p in whole..<kc {
        for row in 0..<rows { dst[p * Tile.mr + row] = a[(panel + row) * aRow + p] }
      }
    } else if aRow == 1 {
      // Column-major A (a transposed view): each step's rows are contiguous already.
      for p in 0..<kc { copyFloats(dst + p * Tile.mr, a + p * aCol + panel, rows) }
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
func packB(
  _ kc: Int, _ nc: Int, _ b: UnsafePointer<Float>, _ bRow: Int, _ bCol: Int,
  _ out: UnsafeMutablePointer<Float>
) {
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

/// Copies `count` floats with 8- and 4-lane vector moves (`memcpy` costs more than the copy
/// at these sizes).
@inline(__always)
func copyFloats(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
  let out = UnsafeMutableRawPointer(destination)
  let from = UnsafeRawPointer(source)
  var i = 0
  while i + 8 <= count {
    out.storeBytes(
      of: from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), toByteOffset: 4 * i,
      as: SIMD8<Float>.self)
    i += 8
  }
  if i + 4 <= count {
    out.storeBytes(
      of: from.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self), toByteOffset: 4 * i,
      as: SIMD4<Float>.self)
    i += 4
  }
  while i < count {
    destination[i] = source[i]
    i += 1
  }
}
