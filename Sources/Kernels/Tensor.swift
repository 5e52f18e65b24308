/// A dense float32 tensor in row-major (C) order.
public struct Tensor: Sendable, Equatable {
  /// Dimensions, outermost first.
  public var shape: [Int]
  /// The elements, `shape.reduce(1, *)` of them.
  public var scalars: [Float]

  /// A tensor of the given shape and values.
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) values")
    self.shape = shape
    self.scalars = scalars
  }

  /// A tensor with every element equal to `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// A tensor whose elements `initialize` writes, all of them.
  public init(shape: [Int], unsafeUninitialized initialize: (UnsafeMutableBufferPointer<Float>) -> Void) {
    let count = shape.reduce(1, *)
    self.shape = shape
    scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      initialize(buffer)
      initialized = count
    }
  }

  /// Number of elements.
  public var count: Int { scalars.count }

  /// Number of dimensions.
  public var rank: Int { shape.count }

  /// The same elements with another shape of equal size.
  public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, scalars: scalars) }
}
