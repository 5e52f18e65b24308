import Checkpoint
import Kernels

/// Parameters of an opened checkpoint as float32 tensors, by Flax path (without key prefix).
///
/// Values are decoded from whatever dtype and byte order the file stores; each tensor is read
/// (and its CRC checked) once and kept for later calls.
public final class CheckpointParameters {
  private let file: NpzFile
  private let tree: ParamTree
  private var cache: [String: Tensor] = [:]

  public init(file: NpzFile, tree: ParamTree) {
    self.file = file
    self.tree = tree
  }

  /// The tensor at `path`, in its stored shape.
  public func tensor(_ path: String) throws -> Tensor {
    if let cached = cache[path] { return cached }
    guard let array = tree[path] else {
      throw CheckpointError(path: file.path, member: tree.prefix + path + ".npy", reason: "parameter is missing")
    }
    let tensor = Tensor(shape: array.shape, scalars: try file.readFloats(array))
    cache[path] = tensor
    return tensor
  }

  /// The function form the reference forward takes.
  public var source: ParameterSource { { try self.tensor($0) } }
}
