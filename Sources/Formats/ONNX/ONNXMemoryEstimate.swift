import Graph

extension ONNXGraph {
  /// What running the graph takes in memory, from the shapes its compilation inferred: the
  /// most that the computed values alive at one time take (each released after its last
  /// reader), with the scratch of the node running then. Attention's scores are values of
  /// their own in an ONNX graph, so nothing is counted per thread.
  ///
  /// - Parameters:
  ///   - computedShapes: the shape of every value computed when the plan runs (`-1` the batch),
  ///     each bounded by the compiler.
  ///   - scratch: elements per image a node's steps take beyond its output, by node index.
  func memoryEstimate(computedShapes: [String: [Int]], scratch: [Int: Int]) -> MemoryEstimate {
    func elements(_ name: String) -> Int {
      guard let shape = computedShapes[name] else { return 0 }
      return (shape.first == -1 ? shape.dropFirst() : shape[...]).reduce(1, *)
    }
    var lastReader: [String: Int] = [:]
    for (index, node) in nodes.enumerated() { for input in node.inputs { lastReader[input] = index } }
    for output in outputs { lastReader[output.name] = nodes.count }
    // Past 2^50 elements nothing fits anyway; stopping there keeps every sum from overflowing.
    let cap = 1 << 50
    var live = inputs.map { elements($0.name) }.reduce(0, +)
    var peak = live
    for (index, node) in nodes.enumerated() {
      let produced = node.outputs.map(elements).reduce(0, +)
      peak = max(peak, min(cap, live + produced + scratch[index, default: 0]))
      live = min(cap, live + produced)
      for name in Set(node.inputs) where lastReader[name] == index { live -= elements(name) }
    }
    return MemoryEstimate(bytesPerImage: 4 * peak, bytesPerThread: 0)
  }
}
