// Loads a bundle and runs it through mixer-convert's public API — what an application embedding
// the converter's runtime does. Build and run:
//
//   swift build -c release --static-swift-stdlib --product run-bundle-example
//   .build/release/run-bundle-example BUNDLE INPUT.npy
//
// Prints the shape of every output and, for class logits, each sample's top class.
import Formats
import Checkpoint
import Graph
import Kernels
import Runtime

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
  print("usage: run-bundle-example BUNDLE INPUT.npy")
  exit(2)
}
do {
  // Opening checks the graph, the index, every safetensors header and every checksum.
  let bundle = try LoadedBundle(path: arguments[1])
  let executor = try PlanExecutor(graph: bundle.graph, weights: bundle.weights(), compute: Compute())
  let (shape, values) = try NpyFile.readFloats(path: arguments[2])
  let outputs = try executor.run(Tensor(shape: shape, scalars: values))
  print("\(bundle.header.model.name): input \(shape), kernels \(KernelPath.selected.rawValue)")
  for output in bundle.header.outputs {
    let tensor = outputs[output.name]!
    print("\(output.name) \(tensor.shape)")
    if output.name == "logits" {
      let classes = tensor.shape[1]
      for sample in 0..<tensor.shape[0] {
        let row = tensor.scalars[(sample * classes)..<((sample + 1) * classes)]
        let top = row.indices.max { row[$0] < row[$1] }! - sample * classes
        print("  sample \(sample): class \(top) (logit \(row[sample * classes + top]))")
      }
    }
  }
} catch {
  print("error: \(error)")
  exit(2)
}

import Foundation
