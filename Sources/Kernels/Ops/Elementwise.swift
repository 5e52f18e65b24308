extension Compute {
  /// `a + b` for tensors of equal shape.
  public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    var y = a
    y.scalars.withUnsafeMutableBufferPointer { out in
      b.scalars.withUnsafeBufferPointer { pb in for i in out.indices { out[i] += pb[i] } }
    }
    return y
  }

  /// `x + bias`, the bias broadcast along the last axis.
  public func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
    let columns = x.shape.last!
    precondition(bias.count == columns, "addBias: width \(columns), bias \(bias.count)")
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { out in
      bias.scalars.withUnsafeBufferPointer { pb in
        for row in 0..<(x.count / columns) { for j in 0..<columns { out[row * columns + j] += pb[j] } }
      }
    }
    return y
  }

  /// `x · factor`.
  public func scale(_ x: Tensor, by factor: Float) -> Tensor {
    var y = x
    for i in y.scalars.indices { y.scalars[i] *= factor }
    return y
  }

  /// Swaps two axes.
  public func transpose(_ x: Tensor, _ axis0: Int, _ axis1: Int) -> Tensor {
    var permutation = Array(0..<x.rank)
    permutation.swapAt(axis0, axis1)
    return permute(x, permutation)
  }

  /// Reorders axes: output axis `i` is input axis `permutation[i]`.
  public func permute(_ x: Tensor, _ permutation: [Int]) -> Tensor {
    precondition(permutation.sorted() == Array(0..<x.rank), "permute: \(permutation) is not a permutation")
    var strides = [Int](repeating: 1, count: x.rank)
    for axis in stride(from: x.rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.shape[axis + 1] }
    let shape = permutation.map { x.shape[$0] }
    let sourceStrides = permutation.map { strides[$0] }
    return Tensor(shape: shape) { out in
      x.scalars.withUnsafeBufferPointer { src in
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for o in 0..<out.count {
          out[o] = src[offset]
          var axis = shape.count - 1
          while axis >= 0 {
            index[axis] += 1
            offset += sourceStrides[axis]
            if index[axis] < shape[axis] { break }
            offset -= sourceStrides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
          }
        }
      }
    }
  }
}
