extension Compute {
  /// The mean over one axis, which is removed from the shape.
  public func mean(_ x: Tensor, axis: Int) -> Tensor {
    precondition(axis >= 0 && axis < x.rank, "mean: axis \(axis) of a rank-\(x.rank) tensor")
    let outer = x.shape[..<axis].reduce(1, *)
    let length = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    var shape = x.shape
    shape.remove(at: axis)
    return Tensor(shape: shape) { out in
      x.scalars.withUnsafeBufferPointer { src in
        for o in 0..<outer {
          let row = out.baseAddress! + o * inner
          row.initialize(repeating: 0, count: inner)
          for l in 0..<length {
            let slice = src.baseAddress! + (o * length + l) * inner
            for i in 0..<inner { row[i] += slice[i] }
          }
          let scale = 1 / Float(length)
          for i in 0..<inner { row[i] *= scale }
        }
      }
    }
  }
}
