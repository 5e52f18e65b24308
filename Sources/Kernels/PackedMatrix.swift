/// A constant B operand (a weight matrix) packed once into the panel layout of one kernel
/// path, so products with it skip the packing step.
public final class PackedMatrix: @unchecked Sendable {
  /// Rows (the contraction dimension K).
  public let rows: Int
  /// Columns (N).
  public let columns: Int
  /// The kernel path whose layout this is.
  public let path: KernelPath
  let storage: UnsafeMutablePointer<Float>
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

/// A constant A operand (a weight matrix on the left of a product, `M × K`) packed once into
/// the row micro-panel layout of one kernel path, so products with it skip packing A.
public final class PackedLeftMatrix: @unchecked Sendable {
  /// Rows (M).
  public let rows: Int
  /// Columns (the contraction dimension K).
  public let columns: Int
  /// The kernel path whose layout this is.
  public let path: KernelPath
  let storage: UnsafeMutablePointer<Float>

  init(rows: Int, columns: Int, path: KernelPath, count: Int) {
    self.rows = rows
    self.columns = columns
    self.path = path
    storage = UnsafeMutableRawPointer.allocate(byteCount: 4 * max(count, 1), alignment: 64)
      .bindMemory(to: Float.self, capacity: max(count, 1))
  }

  deinit { storage.deallocate() }
}
