/// An elementwise operation on two tensors.
public enum BinaryOperation: Sendable {
  case add, subtract, multiply, divide

  func apply(_ a: Float, _ b: Float) -> Float {
    switch self {
    case .add: a + b
    case .subtract: a - b
    case .multiply: a * b
    case .divide: a / b
    }
  }
}

extension Compute {
  /// The shape two shapes broadcast to under NumPy's rules (aligned from the last axis; a 1
  /// stretches), or nil when they do not.
  public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    var shape: [Int] = []
    for (x, y) in zip(pa, pb) {
      guard x == y || x == 1 || y == 1 else { return nil }
      shape.append(x == 1 ? y : x)
    }
    return shape
  }

  /// `a op b` elementwise with NumPy broadcasting; the shapes must broadcast.
  public func binary(_ a: Tensor, _ b: Tensor, _ operation: BinaryOperation) -> Tensor {
    let shape = Self.broadcastShape(a.shape, b.shape)!
    if a.shape == shape, b.shape == shape {
      var y = a
      y.scalars.withUnsafeMutableBufferPointer { out in
        b.scalars.withUnsafeBufferPointer { pb in for i in out.indices { out[i] = operation.apply(out[i], pb[i]) } }
      }
      return y
    }
    let stridesA = Self.broadcastStrides(a.shape, to: shape)
    let stridesB = Self.broadcastStrides(b.shape, to: shape)
    return Tensor(shape: shape) { out in
      a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
          var index = [Int](repeating: 0, count: shape.count)
          var (offsetA, offsetB) = (0, 0)
          for o in 0..<out.count {
            out[o] = operation.apply(pa[offsetA], pb[offsetB])
            var axis = shape.count - 1
            while axis >= 0 {
              index[axis] += 1
              offsetA += stridesA[axis]
              offsetB += stridesB[axis]
              if index[axis] < shape[axis] { break }
              offsetA -= stridesA[axis] * shape[axis]
              offsetB -= stridesB[axis] * shape[axis]
              index[axis] = 0
              axis -= 1
            }
          }
        }
      }
    }
  }

  /// Element strides of a tensor of `shape` read as `target` (0 along broadcast axes).
  private static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for axis in stride(from: target.count - 1, through: 0, by: -1) {
      strides[axis] = padded[axis] == 1 ? 0 : step
      step *= padded[axis]
    }
    return strides
  }

  /// The square root of every element.
  public func squareRoot(_ x: Tensor) -> Tensor {
    var y = x
    for i in y.scalars.indices { y.scalars[i] = y.scalars[i].squareRoot() }
    return y
  }

  /// The mean over `axes` (distinct, in range); kept as length-1 axes when `keepDimensions`.
  public func mean(_ x: Tensor, axes: [Int], keepDimensions: Bool) -> Tensor {
    let reduced = Set(axes)
    let kept = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    let count = axes.reduce(1) { $0 * x.shape[$1] }
    var sum = Tensor(shape: kept, repeating: 0)
    let strides = Self.broadcastStrides(kept, to: x.shape)
    sum.scalars.withUnsafeMutableBufferPointer { out in
      x.scalars.withUnsafeBufferPointer { src in
        var index = [Int](repeating: 0, count: x.rank)
        var offset = 0
        for i in 0..<src.count {
          out[offset] += src[i]
          var axis = x.rank - 1
          while axis >= 0 {
            index[axis] += 1
            offset += strides[axis]
            if index[axis] < x.shape[axis] { break }
            offset -= strides[axis] * x.shape[axis]
            index[axis] = 0
            axis -= 1
          }
        }
      }
    }
    let scale = 1 / Float(max(count, 1))
    for i in sum.scalars.indices { sum.scalars[i] *= scale }
    return keepDimensions
      ? sum : sum.reshaped(x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element))
  }

  /// `x` with `before[i]` zeros in front of and `after[i]` zeros behind axis `i`.
  public func pad(_ x: Tensor, before: [Int], after: [Int]) -> Tensor {
    precondition(before.count == x.rank && after.count == x.rank, "pad: one count per axis")
    let shape = (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }
    var out = Tensor(shape: shape, repeating: 0)
    var outStrides = [Int](repeating: 1, count: x.rank)
    for axis in stride(from: x.rank - 2, through: 0, by: -1) {
      outStrides[axis] = outStrides[axis + 1] * shape[axis + 1]
    }
    let start = zip(before, outStrides).reduce(0) { $0 + $1.0 * $1.1 }
    let row = x.shape.last ?? 1
    out.scalars.withUnsafeMutableBufferPointer { o in
      x.scalars.withUnsafeBufferPointer { src in
        var index = [Int](repeating: 0, count: max(x.rank - 1, 0))
        for r in 0..<(x.count / max(row, 1)) {
          var offset = start
          for axis in index.indices { offset += index[axis] * outStrides[axis] }
          (o.baseAddress! + offset).update(from: src.baseAddress! + r * row, count: row)
          var axis = index.count - 1
          while axis >= 0 {
            index[axis] += 1
            if index[axis] < x.shape[axis] { break }
            index[axis] = 0
            axis -= 1
          }
        }
      }
    }
    return out
  }

  /// Matrix products over the last two axes of `a` (…, M, K) and `b` (…, K, N), the leading
  /// axes equal: (…, M, N).
  public func batchedMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(
      a.rank >= 2 && a.rank == b.rank && a.shape.dropLast(2) == b.shape.dropLast(2)
        && a.shape[a.rank - 1] == b.shape[b.rank - 2], "batchedMatmul: \(a.shape) × \(b.shape)")
    let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
    let batches = a.shape.dropLast(2).reduce(1, *)
    return Tensor(shape: a.shape.dropLast() + [n]) { out in
      a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
          for batch in 0..<batches {
            gemm(
              MatrixView(rowMajor: pa.baseAddress! + batch * m * k, rows: m, columns: k),
              MatrixView(rowMajor: pb.baseAddress! + batch * k * n, rows: k, columns: n),
              into: MutableMatrixView(out.baseAddress! + batch * m * n, rows: m, columns: n))
          }
        }
      }
    }
  }
}
