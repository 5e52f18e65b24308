import Checkpoint

extension FuzzTargets {
  /// A standalone `.npy` stream: the header grammar, the size checks, Fortran-order
  /// reordering and the conversion of every element to float32.
  static let npyTarget = FuzzTarget(name: "npy", summary: "npy header grammar and data (NpyFile.decode)") { bytes in
    guard let (header, data) = try? NpyFile.decode(Array(bytes), path: "input.npy") else { return }
    _ = data.withUnsafeBytes { ElementConversion.floats($0, type: header.dtype, order: header.byteOrder) }
  }
}
