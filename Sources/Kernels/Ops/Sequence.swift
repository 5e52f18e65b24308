extension Compute {
  /// Prepends `token` (D values) to every sample's sequence: (N, S, D) → (N, S+1, D).
  public func prependToken(_ x: Tensor, token: Tensor) -> Tensor {
    precondition(x.rank == 3 && token.count == x.shape[2], "prependToken: token of \(token.count) for \(x.shape)")
    let (n, s, d) = (x.shape[0], x.shape[1], x.shape[2])
    return Tensor(shape: [n, s + 1, d]) { out in
      x.scalars.withUnsafeBufferPointer { src in
        for sample in 0..<n {
          let destination = out.baseAddress! + sample * (s + 1) * d
          destination.initialize(from: token.scalars, count: d)
          (destination + d).initialize(from: src.baseAddress! + sample * s * d, count: s * d)
        }
      }
    }
  }

  /// `x + y` where `y` holds one sample's worth of values, added to every sample.
  public func addToEverySample(_ x: Tensor, _ y: Tensor) -> Tensor {
    let size = x.count / x.shape[0]
    precondition(y.count == size, "addToEverySample: \(y.count) values for samples of \(size)")
    var out = x
    out.scalars.withUnsafeMutableBufferPointer { o in
      y.scalars.withUnsafeBufferPointer { p in
        for sample in 0..<x.shape[0] { for i in 0..<size { o[sample * size + i] += p[i] } }
      }
    }
    return out
  }

  /// Sequence position `index` of every sample: (N, T, D) → (N, D).
  public func selectToken(_ x: Tensor, index: Int) -> Tensor {
    precondition(x.rank == 3 && index >= 0 && index < x.shape[1], "selectToken: \(index) of \(x.shape)")
    let (n, t, d) = (x.shape[0], x.shape[1], x.shape[2])
    return Tensor(shape: [n, d]) { out in
      x.scalars.withUnsafeBufferPointer { src in
        for sample in 0..<n {
          (out.baseAddress! + sample * d).initialize(from: src.baseAddress! + (sample * t + index) * d, count: d)
        }
      }
    }
  }
}
