import Graph

extension ONNXGraph {
  /// What running the graph takes in memory, from the shapes its compilation inferred
  /// (``MemoryEstimate/peakElements(inputs:steps:kept:)``). Attention's scores are values of
  /// their own in an ONNX graph, so nothing is counted per thread.
  ///
  /// - Parameters:
  ///   - computedShapes: the shape of every value computed when the plan runs (`-1` the batch),
  ///     each bounded by the compiler; constants count nothing.
  ///   - scratch: elements per image a node's steps take beyond its output, by node index.
  func memoryEstimate(computedShapes: [String: [Int]], scratch: [Int: Int]) -> MemoryEstimate {
    func elements(_ name: String) -> Int {
      guard let shape = computedShapes[name] else { return 0 }
      return (shape.first == -1 ? shape.dropFirst() : shape[...]).reduce(1, *)
    }
    // The compiler admits only nodes with exactly one output.
    let steps = nodes.enumerated().map { index, node in
      MemoryStep(
        reads: node.inputs, output: node.outputs[0], produced: elements(node.outputs[0]),
        scratch: scratch[index, default: 0])
    }
    let peak = MemoryEstimate.peakElements(
      inputs: Dictionary(inputs.map { ($0.name, elements($0.name)) }, uniquingKeysWith: +), steps: steps,
      kept: Set(outputs.map(\.name)))
    return MemoryEstimate(bytesPerImage: 4 * peak, bytesPerThread: 0)
  }
}
