/// A strided view of a matrix in memory: element (i, j) is at `base[i·rowStride + j·columnStride]`.
///
/// A transpose is a view with the strides swapped, so kernels read operands in either
/// orientation without copying.
public struct MatrixView: @unchecked Sendable {
  public let base: UnsafePointer<Float>
  public let rows: Int
  public let columns: Int
  public let rowStride: Int
  public let columnStride: Int

  public init(_ base: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int, columnStride: Int = 1) {
    self.base = base
    self.rows = rows
    self.columns = columns
    self.rowStride = rowStride
    self.columnStride = columnStride
  }

  /// A row-major `rows × columns` matrix.
  public init(rowMajor base: UnsafePointer<Float>, rows: Int, columns: Int) {
    self.init(base, rows: rows, columns: columns, rowStride: columns)
  }

  /// The transpose, without moving any element.
  public var transposed: MatrixView {
    MatrixView(base, rows: columns, columns: rows, rowStride: columnStride, columnStride: rowStride)
  }
}

/// A row-major block of writable memory: element (i, j) at `base[i·rowStride + j]`.
public struct MutableMatrixView: @unchecked Sendable {
  public let base: UnsafeMutablePointer<Float>
  public let rows: Int
  public let columns: Int
  public let rowStride: Int

  public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
    self.base = base
    self.rows = rows
    self.columns = columns
    self.rowStride = rowStride ?? columns
  }
}
