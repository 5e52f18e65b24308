import Bundle
import Checkpoint
import Foundation
import Graph
import Kernels

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
  /// - Parameter hdf5: where an HDF5 export is read (see ``HDF5Reading``).
  public static func run(export path: String, input: Tensor, threads: Int?, repeats: Int = 0, checksums: Bool = true,
                         hdf5: HDF5Reading = .inProcess) throws -> RunResult
  {
    let export = try Exports.open(path, checksums: checksums, hdf5: hdf5)
    let runner = try ExportRunner(export, compute: Compute(threads: threads))
    let outputs = try runner.run(input)
    var timings: [Double] = []
    for _ in 0..<repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try runner.run(input)
      timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return RunResult(outputs: outputs, outputNames: export.graph.outputs.map(\.name), timings: timings)
  }
}

/// An opened export ready to run: its weights are packed once, then any number of batches run.
public final class ExportRunner {
  public let export: any LoadedExport
  private let executor: GraphExecutor

  public init(_ export: any LoadedExport, compute: Compute) throws {
    self.export = export
    executor = try GraphExecutor(graph: export.graph, weights: export.weights(), compute: compute)
  }

  /// Every output of the graph on `input`; an input the graph cannot take is a ``ConversionError``.
  public func run(_ input: Tensor) throws -> [String: Tensor] {
    do { return try executor.run(input) } catch let error as GraphError {
      throw ConversionError(path: export.path, reason: error.message)
    }
  }
}
