import Checkpoint

/// Writes edited copies of checkpoints: tensors renamed, dropped, replaced or added, the
/// rest copied byte for byte. Hostile-input tests build their malformed models with it.
public enum CheckpointRewriter {
  /// A float32 tensor to put in place of (or beside) the source's.
  public struct Replacement: Sendable {
    public let shape: [Int]
    public let values: [Float]
    public init(shape: [Int], values: [Float]) {
      precondition(shape.reduce(1, *) == values.count, "\(shape) needs \(shape.reduce(1, *)) values")
      self.shape = shape
      self.values = values
    }
    /// A tensor of `shape` filled with a small ramp of values.
    public init(shape: [Int]) {
      self.init(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 % 7) * 0.01 })
    }
  }

  /// Copies `source` to `path`. `rename` gives each key's new name (nil drops the tensor);
  /// `replace` substitutes tensors by source key; `extra` adds tensors at the end.
  public static func rewrite(
    _ source: String, to path: String, rename: (String) -> String? = { $0 },
    replace: [String: Replacement] = [:], extra: [(String, Replacement)] = []
  ) throws {
    let file = try NpzFile(path: source)
    let writer = try NpzWriter(path: path, compression: .stored, replacing: true)
    func add(_ key: String, _ tensor: Replacement) throws {
      try tensor.values.withUnsafeBytes { try writer.add(key: key, dtype: .float32, shape: tensor.shape, data: $0) }
    }
    for array in file.arrays {
      guard let key = rename(array.key) else { continue }
      if let replacement = replace[array.key] {
        try add(key, replacement)
      } else {
        try file.readData(array).withUnsafeBytes {
          try writer.add(key: key, dtype: array.dtype, shape: array.shape, data: $0)
        }
      }
    }
    for (key, tensor) in extra { try add(key, tensor) }
    try writer.finish()
  }
}
