extension Compute {
  /// Elementwise work below this size stays on one thread.
  static let minimumElementsPerThread = 1 << 16

  /// Applies a backend function to a buffer in place, split over threads.
  func inPlace(_ values: UnsafeMutableBufferPointer<Float>, _ function: @escaping KernelTable.InPlace) {
    guard let base = values.baseAddress else { return }
    let shared = SharedPointer(base)
    parallelRanges(values.count, minimumPerPart: Self.minimumElementsPerThread, alignment: 64) { range in
      function(shared.pointer + range.lowerBound, range.count)
    }
  }

  /// GELU in place.
  public func gelu(_ values: UnsafeMutableBufferPointer<Float>, approximation: GELUApproximation) {
    inPlace(values, approximation == .tanh ? table.geluTanh : table.geluErf)
  }

  /// GELU of every element.
  public func gelu(_ x: Tensor, approximation: GELUApproximation = .tanh) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { gelu($0, approximation: approximation) }
    return y
  }

  /// tanh in place.
  public func tanh(_ values: UnsafeMutableBufferPointer<Float>) { inPlace(values, table.tanh) }

  /// tanh of every element.
  public func tanh(_ x: Tensor) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { tanh($0) }
    return y
  }

  /// `e^x` of every element.
  public func exp(_ x: Tensor) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { inPlace($0, table.exp) }
    return y
  }

  /// `max(x, 0)` in place.
  public func relu(_ values: UnsafeMutableBufferPointer<Float>) {
    for i in values.indices where !(values[i] > 0) { values[i] = values[i].isNaN ? values[i] : 0 }
  }

  /// `max(x, 0)` of every element.
  public func relu(_ x: Tensor) -> Tensor {
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { relu($0) }
    return y
  }

  /// Softmax over the last axis, in place, with the row maximum subtracted.
  public func softmax(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
    guard let base = values.baseAddress else { return }
    let shared = SharedPointer(base)
    let softmax = table.softmax
    parallelRanges(rows, minimumPerPart: max(1, Self.minimumElementsPerThread / max(columns, 1))) { range in
      softmax(shared.pointer + range.lowerBound * columns, range.count, columns)
    }
  }

  /// Softmax over the last axis.
  public func softmax(_ x: Tensor) -> Tensor {
    var y = x
    let columns = x.shape.last ?? 1
    y.scalars.withUnsafeMutableBufferPointer { softmax($0, rows: x.count / max(columns, 1), columns: columns) }
    return y
  }
}
