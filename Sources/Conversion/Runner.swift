import Checkpoint
import Formats
import Foundation
import Graph
import Kernels
import Runtime

/// What `run` produced.
public struct RunResult: Sendable {
  /// Every output of the graph.
  public let outputs: [String: Tensor]
  /// The graph's output names, primary first.
  public let outputNames: [String]
  /// Seconds per batch of each timed repetition (empty without repetitions).
  public let timings: [Double]
  /// The input's span when some values lie outside the input contract's range (an image not
  /// normalised, say), nil when all are inside.
  public let inputOutsideRange: InputOutsideRange?
}

/// Runs exports on inputs.
public enum Runner {
  /// Loads the export at `path` and runs it on `input`, then `repeats` more times for timing.
  ///
  /// - Parameters:
  ///   - inputName: what errors about the input call it (its file).
  ///   - opening: how the export is opened (checksums, where an HDF5 file is read).
  /// - Throws: ``ConversionError`` naming the input when its shape is not one the export takes,
  ///   or a value is NaN or infinite.
  public static func run(
    export path: String, input: Tensor, inputName: String = "the input", threads: Int?,
    repeats: Int = 0, opening: OpenOptions = OpenOptions()
  ) throws -> RunResult {
    let export = try Exports.open(path, opening)
    let outside: InputOutsideRange?
    do {
      try export.header.input.checkShape(input.shape)
      outside = try export.header.input.checkValues(input.scalars)
    } catch let error as GraphError {
      throw ConversionError(path: inputName, reason: error.message)
    }
    let runner = try ExportRunner(export, compute: Compute(threads: threads))
    let outputs = try runner.run(input)
    var timings: [Double] = []
    for _ in 0..<repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try runner.run(input)
      timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return RunResult(
      outputs: outputs, outputNames: export.header.outputs.map(\.name), timings: timings,
      inputOutsideRange: outside)
  }
}
