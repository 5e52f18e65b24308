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

  /// `a += bᵀ` where `b`'s last two axes are swapped relative to `a`'s: `a` is (N, P, Q) and
  /// `b` is (N, Q, P). Done in cache-sized blocks so both are read with short strides.
  public func addTransposed(_ b: Tensor, into a: inout Tensor) {
    precondition(
      a.rank == 3 && b.shape == [a.shape[0], a.shape[2], a.shape[1]],
      "addTransposed: \(a.shape) and \(b.shape) are not transposes")
    let (n, p, q) = (a.shape[0], a.shape[1], a.shape[2])
    let block = 32
    a.scalars.withUnsafeMutableBufferPointer { pa in
      b.scalars.withUnsafeBufferPointer { pb in
        let (x, y) = (SharedPointer(pa.baseAddress!), SharedPointer(UnsafeMutablePointer(mutating: pb.baseAddress!)))
        // Parts are (sample, block of rows) pairs, so even one sample splits over threads.
        let rowBlocks = (p + block - 1) / block
        parallelRanges(n * rowBlocks, minimumPerPart: max(1, Self.minimumElementsPerThread / (block * q))) { range in
          for job in range {
            let (sample, i0) = (job / rowBlocks, job % rowBlocks * block)
            let xs = x.pointer + sample * p * q
            let ys = y.pointer + sample * p * q
            for j0 in stride(from: 0, to: q, by: block) {
              for i in i0..<min(i0 + block, p) {
                for j in j0..<min(j0 + block, q) { xs[i * q + j] += ys[j * p + i] }
              }
            }
          }
        }
      }
    }
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
