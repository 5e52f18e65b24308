// Shared backend source (see Gemm.swift).

/// A position in the order `prepackedGemm` sweeps a B packed whole by `packWholeB`: for each
/// `kc`-deep slice, for each block of A's rows, each block of B's columns that overlaps the
/// product's columns. Each position names the packed panel its sweep reads, so that a sweep can
/// prefetch the panel of the position after it (``next()``). Its initialiser and `next()` are
/// always inlined: an outlined, specialised copy would be a weak symbol shared between the CPU
/// levels' modules (scripts/check-kernel-isolation.sh).
struct PrepackedWalk {
  /// Rows of A, and depth and width of B.
  let m: Int, k: Int, totalColumns: Int
  /// The columns of B the product covers.
  let columns: Range<Int>
  /// The first block of B's columns that overlaps `columns`.
  let firstBlock: (start: Int, width: Int)
  /// The slice: its first step and depth.
  private(set) var pc = 0, kc: Int
  /// The block of A's rows: its first row and height.
  private(set) var ic = 0, mc: Int
  /// The block of B's columns, as `packWholeB` laid it out.
  private(set) var block: (start: Int, width: Int)

  /// The first position, or nil for an empty product.
  @inline(__always)
  init?(m: Int, k: Int, columns: Range<Int>, totalColumns: Int) {
    guard m > 0, k > 0, let first = overlappingBlock(from: 0, totalColumns, columns) else { return nil }
    self.m = m
    self.k = k
    self.totalColumns = totalColumns
    self.columns = columns
    firstBlock = first
    kc = blockLength(k, Tile.kc)
    mc = blockLength(m, Tile.mc)
    block = first
  }

  /// Whether this position is the first with its block of A (which is packed here).
  var startsBlockOfA: Bool { block.start == firstBlock.start }

  /// The columns of the block inside the product's columns.
  var blockColumns: Range<Int> {
    max(columns.lowerBound, block.start)..<min(columns.upperBound, block.start + block.width)
  }

  /// The floats of the packed B this position's sweep reads: the micro-panels of the block's
  /// columns inside the product's, in the slice.
  var panelFloats: Range<Int> {
    let part = blockColumns
    let first = block.start * k + pc * roundUp(block.width, Tile.nr) + (part.lowerBound - block.start) * kc
    return first..<(first + kc * roundUp(part.count, Tile.nr))
  }

  /// ``panelFloats`` in the packed B at `b`.
  func panel(of b: UnsafePointer<Float>) -> UnsafeRawBufferPointer {
    let floats = panelFloats
    return UnsafeRawBufferPointer(start: b + floats.lowerBound, count: 4 * floats.count)
  }

  /// The position after this one, if any.
  @inline(__always)
  func next() -> PrepackedWalk? {
    var following = self
    if let block = overlappingBlock(from: block.start + block.width, totalColumns, columns) {
      following.block = block
    } else if ic + mc < m {
      following.ic += mc
      following.mc = blockLength(m - following.ic, Tile.mc)
      following.block = firstBlock
    } else if pc + kc < k {
      following.pc += kc
      following.kc = blockLength(k - following.pc, Tile.kc)
      following.ic = 0
      following.mc = blockLength(m, Tile.mc)
      following.block = firstBlock
    } else {
      return nil
    }
    return following
  }
}

/// The first block of B's columns (as `packWholeB` lays the blocks out) that starts at or
/// after `start` and overlaps `columns`, if any.
@inline(__always)
func overlappingBlock(
  from start: Int, _ totalColumns: Int, _ columns: Range<Int>
) -> (start: Int, width: Int)? {
  var blockStart = 0
  while blockStart < columns.upperBound {
    let width = blockLength(totalColumns - blockStart, Tile.nc)
    if blockStart >= start, blockStart + width > columns.lowerBound { return (blockStart, width) }
    blockStart += width
  }
  return nil
}
