/// Reorders the axes of raw array bytes: transposes of C-order arrays, and Fortran order to C.
public enum AxisOrder {
  /// The C-order bytes of a C-order array with its axes permuted: output axis `i` is input
  /// axis `permutation[i]` (numpy's `transpose(permutation)`), done on `itemSize`-byte elements.
  public static func permuted(_ bytes: UnsafeRawBufferPointer, shape: [Int], permutation: [Int], itemSize: Int) -> [UInt8] {
    precondition(permutation.sorted() == Array(shape.indices), "not a permutation of the axes")
    precondition(bytes.count == shape.reduce(1, *) * itemSize, "the bytes do not hold the shape")
    var output = [UInt8](repeating: 0, count: bytes.count)
    guard !bytes.isEmpty else { return output }
    output.withUnsafeMutableBytes { destination in
      switch itemSize {
      case 2: permute(UInt16.self, bytes, into: destination, shape: shape, permutation: permutation)
      case 4: permute(UInt32.self, bytes, into: destination, shape: shape, permutation: permutation)
      case 8: permute(UInt64.self, bytes, into: destination, shape: shape, permutation: permutation)
      default:
        precondition(itemSize == 1, "element size \(itemSize) is not 1, 2, 4 or 8")
        permute(UInt8.self, bytes, into: destination, shape: shape, permutation: permutation)
      }
    }
    return output
  }

  /// Returns the C-order bytes of an array stored in Fortran order.
  ///
  /// A Fortran array of shape (d0, …, dn) has the memory of a C array of shape (dn, …, d0), so
  /// this is the transpose that reverses all axes.
  static func fortranToC(_ bytes: [UInt8], shape: [Int], itemSize: Int) -> [UInt8] {
    guard shape.count > 1, !bytes.isEmpty else { return bytes }
    return bytes.withUnsafeBytes {
      permuted($0, shape: shape.reversed(), permutation: Array(shape.indices.reversed()), itemSize: itemSize)
    }
  }

  /// Copies the elements, each a `T`, to their places in the permuted array.
  private static func permute<T>(_ type: T.Type, _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                                 shape: [Int], permutation: [Int]) {
    let rank = shape.count
    // Strides of the input, in elements; the output walks its own C order.
    var inputStrides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
    let outputShape = permutation.map { shape[$0] }
    let strides = permutation.map { inputStrides[$0] }
    let input = source.bindMemory(to: T.self)
    let output = destination.bindMemory(to: T.self)
    guard rank > 0 else {
      output[0] = input[0]
      return
    }
    // The innermost output axis is copied in a tight loop; the others advance an odometer.
    let innerCount = outputShape[rank - 1]
    let innerStride = strides[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    var sourceStart = 0
    var out = 0
    while out < output.count {
      var from = sourceStart
      for _ in 0..<innerCount {
        output[out] = input[from]
        out += 1
        from += innerStride
      }
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        sourceStart += strides[axis]
        if index[axis] < outputShape[axis] { break }
        sourceStart -= strides[axis] * outputShape[axis]
        index[axis] = 0
        axis -= 1
      }
      if axis < 0 { break }
    }
  }
}
