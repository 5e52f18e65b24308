import Checkpoint
import Graph
import Kernels

/// A batch of input images from a `.npy` file, as `run`, `verify` and `convert --verify` read
/// it: nothing of the values is read before the batch is known to be one the export takes and
/// one that fits in memory, so a file of any size claims no more than its header.
enum InputFile {
  /// The input file at `path`: ``shape(of:contract:)``, then `fits` given its batch (it throws
  /// when the batch cannot run), and only then ``values(of:shape:contract:)``.
  ///
  /// - Throws: ``ConversionError`` naming the file, or what `fits` throws.
  static func read(
    _ path: String, contract: InputContract, fits: (Int) throws -> Void
  ) throws -> (Tensor, InputOutsideRange?) {
    let shape = try shape(of: path, contract: contract)
    try fits(shape[0])
    return try values(of: path, shape: shape, contract: contract)
  }

  /// The shape the file's header states, once `contract` takes it; no value is read.
  ///
  /// - Throws: ``ConversionError`` naming the file.
  static func shape(of path: String, contract: InputContract) throws -> [Int] {
    let stated = try NpyFile.readHeader(path: path).shape
    do {
      try contract.checkShape(stated)
    } catch let error as GraphError {
      throw ConversionError(path: path, reason: error.message)
    }
    return stated
  }

  /// The file's values, as the shape its header stated before (``shape(of:contract:)``), all
  /// finite, with their span when it leaves the contract's range.
  ///
  /// - Throws: ``ConversionError`` naming the file.
  static func values(
    of path: String, shape stated: [Int], contract: InputContract
  ) throws -> (Tensor, InputOutsideRange?) {
    let (shape, values) = try NpyFile.readFloats(path: path)
    guard shape == stated else { throw ConversionError(path: path, reason: "changed while it was read") }
    do {
      return (Tensor(shape: shape, scalars: values), try contract.checkValues(values))
    } catch let error as GraphError {
      throw ConversionError(path: path, reason: error.message)
    }
  }
}
