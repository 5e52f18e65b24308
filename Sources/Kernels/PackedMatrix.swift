import CSupport

/// A constant operand (a weight matrix) packed once into the panel layout of one kernel path,
/// so products with it skip the packing step: a right (B) operand, ``PackedMatrix``, packed into
/// column micro-panels, or a left (A) operand, ``PackedLeftMatrix``, packed into row
/// micro-panels. `Side` keeps the two apart.
public final class PackedOperand<Side>: @unchecked Sendable {
  /// Rows (K for a right operand, M for a left one).
  public let rows: Int
  /// Columns (N for a right operand, K for a left one).
  public let columns: Int
  /// The kernel path whose layout this is.
  public let path: KernelPath
  let storage: UnsafeMutablePointer<Float>
  /// Floats in `storage`.
  let count: Int

  init(rows: Int, columns: Int, path: KernelPath, count: Int) {
    self.rows = rows
    self.columns = columns
    self.path = path
    self.count = count
    storage = Self.allocateStorage(floats: max(count, 1))
  }

  /// Memory for `floats` packed values: 64-byte aligned, or, from the size of a huge page up,
  /// whole huge pages advised to be backed by them. A batch-1 forward pass streams every
  /// packed weight from memory once: with 4 KiB pages the hardware prefetchers stop at each
  /// page's end and each page costs a TLB miss. (Zen 4, one thread, seven or eight rounds
  /// alternated with 4 KiB pages: 0.988 and 0.982 of the time at batch 1 for Mixer-B/16 and
  /// ViT-B/16, 1.01 and 0.975 at batch 8.)
  private static func allocateStorage(floats: Int) -> UnsafeMutablePointer<Float> {
    let bytes = 4 * floats
    let hugePage = Int(CSUPPORT_HUGE_PAGE_BYTES)
    let huge = bytes >= hugePage
    let size = huge ? (bytes + hugePage - 1) / hugePage * hugePage : bytes
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: huge ? hugePage : 64)
    if huge { _ = csupport_advise_huge_pages(raw, size) }
    return raw.bindMemory(to: Float.self, capacity: floats)
  }

  deinit { storage.deallocate() }
}

/// The side of a right (B) operand of a product.
public enum RightOperand {}
/// The side of a left (A) operand of a product.
public enum LeftOperand {}

/// A constant B operand (a weight matrix `K × N`) packed once.
public typealias PackedMatrix = PackedOperand<RightOperand>
/// A constant A operand (a weight matrix `M × K` on the left of a product) packed once.
public typealias PackedLeftMatrix = PackedOperand<LeftOperand>
