/// Reorders the axes of raw array bytes: transposes of C-order arrays, and Fortran order to C.
public enum AxisOrder {
  /// The C-order bytes of a C-order array with its axes permuted: output axis `i` is input
  /// axis `permutation[i]` (numpy's `transpose(permutation)`), done on `itemSize`-byte elements.
  public static func permuted(
    _ bytes: UnsafeRawBufferPointer, shape: [Int], permutation: [Int], itemSize: Int
  ) -> [UInt8] {
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

  /// Values stored in Fortran order, in C order (as ``fortranToC(_:shape:itemSize:)``, on
  /// `Float`s).
  static func fortranToC(_ values: [Float], shape: [Int]) -> [Float] {
    guard shape.count > 1, !values.isEmpty else { return values }
    return [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
      values.withUnsafeBytes {
        permute(
          Float.self, $0, into: UnsafeMutableRawBufferPointer(buffer), shape: shape.reversed(),
          permutation: Array(shape.indices.reversed()))
      }
      initialized = values.count
    }
  }

  /// Copies the elements, each a `T`, to their places in the permuted array: in tiles over
  /// the output's innermost axis and the one read contiguously from the input, so that both
  /// sides stay in cache (a large transpose copies element by element otherwise at the pace of
  /// cache misses).
  private static func permute<T>(
    _ type: T.Type, _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
    shape: [Int], permutation: [Int]
  ) {
    let rank = shape.count
    let input = source.bindMemory(to: T.self)
    let output = destination.bindMemory(to: T.self)
    guard rank > 0 else {
      output[0] = input[0]
      return
    }
    let outputShape = permutation.map { shape[$0] }
    var inputStrides = [Int](repeating: 1, count: rank)
    var outputStrides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) {
      inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1]
      outputStrides[axis] = outputStrides[axis + 1] * outputShape[axis + 1]
    }
    // Input stride of each output axis.
    let sourceStrides = permutation.map { inputStrides[$0] }
    let last = rank - 1
    let contiguous = permutation.firstIndex(of: last)!
    let (rows, columns) = (outputShape[contiguous], outputShape[last])
    let (rowStride, columnStride) = (outputStrides[contiguous], sourceStrides[last])
    let tile = 32
    // The other axes advance an odometer.
    let outer = (0..<rank).filter { $0 != last && $0 != contiguous }
    var index = [Int](repeating: 0, count: outer.count)
    var sourceBase = 0
    var targetBase = 0
    while true {
      if contiguous == last {
        for column in 0..<columns { output[targetBase + column] = input[sourceBase + column] }
      } else {
        for rowStart in stride(from: 0, to: rows, by: tile) {
          for columnStart in stride(from: 0, to: columns, by: tile) {
            for row in rowStart..<min(rowStart + tile, rows) {
              for column in columnStart..<min(columnStart + tile, columns) {
                output[targetBase + row * rowStride + column] = input[sourceBase + row + column * columnStride]
              }
            }
          }
        }
      }
      var k = outer.count - 1
      while k >= 0 {
        let axis = outer[k]
        index[k] += 1
        sourceBase += sourceStrides[axis]
        targetBase += outputStrides[axis]
        if index[k] < outputShape[axis] { break }
        sourceBase -= sourceStrides[axis] * outputShape[axis]
        targetBase -= outputStrides[axis] * outputShape[axis]
        index[k] = 0
        k -= 1
      }
      if k < 0 { return }
    }
  }
}
