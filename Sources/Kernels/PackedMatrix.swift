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
    storage = UnsafeMutableRawPointer.allocate(byteCount: 4 * max(count, 1), alignment: 64)
      .bindMemory(to: Float.self, capacity: max(count, 1))
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
