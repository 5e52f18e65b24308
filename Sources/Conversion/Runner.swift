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
  /// Loads the export at `path` and runs it on the batch in the `.npy` file `inputFile`, then
  /// `repeats` more times for timing. The file's header is checked against the export's input
  /// and the batch against the memory budget before any value is read.
  ///
  /// - Parameters:
  ///   - opening: how the export is opened (checksums, where an HDF5 file is read).
  /// - Throws: ``ConversionError`` naming the input file when its shape is not one the export
  ///   takes or a value is NaN or infinite; a ``GraphError`` naming the export when the batch
  ///   does not fit in memory.
  public static func run(
    export path: String, inputFile: String, threads: Int?, repeats: Int = 0, opening: OpenOptions = OpenOptions()
  ) throws -> RunResult {
    let export = try Exports.open(path, opening)
    let shape = try InputFile.shape(of: inputFile, contract: export.header.input)
    let runner = try ExportRunner(export, compute: Compute(threads: threads))
    try runner.checkMemory(batch: shape[0])
    let (input, outside) = try InputFile.values(of: inputFile, shape: shape, contract: export.header.input)
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
