import Formats
import Checkpoint
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
}

/// Runs exports on inputs.
public enum Runner {
  /// Loads the export at `path` and runs it on `input`, then `repeats` more times for timing.
  ///
  /// - Parameter opening: how the export is opened (checksums, where an HDF5 file is read).
  public static func run(export path: String, input: Tensor, threads: Int?, repeats: Int = 0,
                         opening: OpenOptions = OpenOptions()) throws -> RunResult
  {
    let export = try Exports.open(path, opening)
    let runner = try ExportRunner(export, compute: Compute(threads: threads))
    let outputs = try runner.run(input)
    var timings: [Double] = []
    for _ in 0..<repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try runner.run(input)
      timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return RunResult(outputs: outputs, outputNames: export.header.outputs.map(\.name), timings: timings)
  }
}
