import Formats
import Foundation
import Kernels
import Runtime

extension FuzzTargets {
  /// A bundle's `graph.json`: strict JSON, decoding of the graph and its manifest, validation with
  /// shape inference, the cross-checks against the index and shards of the tiny bundle the
  /// corpus was made from; and a graph that opens is compiled and run on one image, so that a
  /// graph validation lets through cannot crash the executor.
  static func graphTarget(bundleTemplate: String) -> FuzzTarget {
    FuzzTarget(name: "graph", summary: "strict JSON, graph.json decoding, validation, execution") { bytes in
      runGraph(bytes, bundleTemplate: bundleTemplate)
    }
  }

  private static func runGraph(_ bytes: UnsafeRawBufferPointer, bundleTemplate: String) {
    let bundle = ScratchFile("bundle").path
    if !FileManager.default.fileExists(atPath: bundle) {
      try? FileManager.default.copyItem(atPath: bundleTemplate, toPath: bundle)
    }
    _ = FileManager.default.createFile(atPath: bundle + "/" + BundleLayout.graphFile, contents: Data(bytes))
    let compute = Compute(threads: 1)
    guard let export = try? LoadedBundle(path: bundle), let plan = try? export.compile(compute: compute) else { return }
    runSmall(plan, inputShape: export.header.input.shape, compute: compute)
  }
}
