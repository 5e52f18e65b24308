/// Reorders raw array bytes from column-major (Fortran) to row-major (C) order.
enum AxisOrder {
  /// Returns the C-order bytes of an array stored in Fortran order.
  ///
  /// A Fortran array of shape (d0, …, dn) has the memory of a C array of shape (dn, …, d0), so
  /// this is the transpose that reverses all axes, done on `itemSize`-byte elements.
  static func fortranToC(_ bytes: [UInt8], shape: [Int], itemSize: Int) -> [UInt8] {
    guard shape.count > 1, !bytes.isEmpty else { return bytes }
    let rank = shape.count
    // Fortran strides, in elements: axis 0 is contiguous.
    var strides = [Int](repeating: 1, count: rank)
    for axis in 1..<rank { strides[axis] = strides[axis - 1] * shape[axis - 1] }
    var output = [UInt8](repeating: 0, count: bytes.count)
    var index = [Int](repeating: 0, count: rank)
    var sourceElement = 0
    bytes.withUnsafeBytes { source in
      output.withUnsafeMutableBytes { destination in
        for element in 0..<(bytes.count / itemSize) {
          (destination.baseAddress! + element * itemSize)
            .copyMemory(from: source.baseAddress! + sourceElement * itemSize, byteCount: itemSize)
          // Advance the C-order multi-index (last axis fastest).
          var axis = rank - 1
          while axis >= 0 {
            index[axis] += 1
            sourceElement += strides[axis]
            if index[axis] < shape[axis] { break }
            sourceElement -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
          }
        }
      }
    }
    return output
  }
}
