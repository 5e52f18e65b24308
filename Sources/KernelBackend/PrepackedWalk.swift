// Shared backend source (see Gemm.swift). Tuples and free functions rather than a struct: a
// struct's value witnesses would be weak symbols shared between the CPU levels' modules
// (scripts/check-kernel-isolation.sh), and everything here is inlined.

/// A pre-packed product as `prepackedGemm` walks it: A's rows, B's depth and width (B packed
/// whole by `packWholeB`), the columns the product covers, and the first block of B's columns
/// that overlaps them.
typealias PrepackedProduct = (
  m: Int, k: Int, totalColumns: Int, columns: Range<Int>, firstBlock: (start: Int, width: Int)
)

/// A position in the order `prepackedGemm` sweeps B: for each `kc`-deep slice (first step
/// `pc`), for each block of A's rows (first row `ic`, `mc` tall), each block of B's columns
/// (as `packWholeB` laid it out) that overlaps the product's columns. Each position names the
/// packed panel its sweep reads, so that a sweep can prefetch the next position's.
typealias SweepPosition = (pc: Int, kc: Int, ic: Int, mc: Int, block: (start: Int, width: Int))

/// The product, or nil when it has no rows, no depth or no columns.
@inline(__always)
func prepackedProduct(_ m: Int, _ k: Int, _ columns: Range<Int>, _ totalColumns: Int) -> PrepackedProduct? {
  let first = overlappingBlock(from: 0, totalColumns, columns)
  guard m > 0, k > 0, first.width > 0 else { return nil }
  return (m, k, totalColumns, columns, first)
}

/// The product's first sweep.
@inline(__always)
func firstSweep(of product: PrepackedProduct) -> SweepPosition {
  (0, blockLength(product.k, Tile.kc), 0, blockLength(product.m, Tile.mc), product.firstBlock)
}

/// The sweep after `position`, or nil after the last.
@inline(__always)
func nextSweep(after position: SweepPosition, of product: PrepackedProduct) -> SweepPosition? {
  var next = position
  let block = overlappingBlock(from: position.block.start + position.block.width, product.totalColumns, product.columns)
  if block.width > 0 {
    next.block = block
  } else if position.ic + position.mc < product.m {
    next.ic += position.mc
    next.mc = blockLength(product.m - next.ic, Tile.mc)
    next.block = product.firstBlock
  } else if position.pc + position.kc < product.k {
    next.pc += position.kc
    next.kc = blockLength(product.k - next.pc, Tile.kc)
    next.ic = 0
    next.mc = blockLength(product.m, Tile.mc)
    next.block = product.firstBlock
  } else {
    return nil
  }
  return next
}

/// Calls `body` on each sweep of the product, in order, with the packed floats of its panel
/// and of the next sweep's (nil after the last), each panel's computed once.
@inline(__always)
func forEachSweep(of product: PrepackedProduct, _ body: (SweepPosition, Range<Int>, Range<Int>?) -> Void) {
  var position = firstSweep(of: product)
  var panel = panelFloats(position, of: product)
  while true {
    let following = nextSweep(after: position, of: product)
    let followingPanel = following.map { panelFloats($0, of: product) }
    body(position, panel, followingPanel)
    guard let following, let followingPanel else { return }
    position = following
    panel = followingPanel
  }
}

/// Whether `position` is the first with its block of A (which is packed there).
@inline(__always)
func startsBlockOfA(_ position: SweepPosition, of product: PrepackedProduct) -> Bool {
  position.block.start == product.firstBlock.start
}

/// The columns of the position's block inside the product's columns.
@inline(__always)
func blockColumns(_ position: SweepPosition, of product: PrepackedProduct) -> Range<Int> {
  let block = position.block
  return max(product.columns.lowerBound, block.start)..<min(product.columns.upperBound, block.start + block.width)
}

/// The floats of the packed B the position's sweep reads: the micro-panels of the block's
/// columns inside the product's, in the slice.
@inline(__always)
func panelFloats(_ position: SweepPosition, of product: PrepackedProduct) -> Range<Int> {
  let part = blockColumns(position, of: product)
  let block = position.block
  let first =
    block.start * product.k + position.pc * roundUp(block.width, Tile.nr) + (part.lowerBound - block.start)
    * position.kc
  return first..<(first + position.kc * roundUp(part.count, Tile.nr))
}

/// The first block of B's columns (as `packWholeB` lays the blocks out) from the block that
/// starts at `start` (0 or the end of a block) on that overlaps `columns`; width 0 when there
/// is none.
@inline(__always)
func overlappingBlock(
  from start: Int, _ totalColumns: Int, _ columns: Range<Int>
) -> (start: Int, width: Int) {
  var blockStart = start
  while blockStart < columns.upperBound {
    let width = blockLength(totalColumns - blockStart, Tile.nc)
    if blockStart + width > columns.lowerBound { return (blockStart, width) }
    blockStart += width
  }
  return (columns.upperBound, 0)
}
