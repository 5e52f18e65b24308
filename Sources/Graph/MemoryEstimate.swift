/// How much memory running a graph takes, estimated from its shapes alone (float32 values), so
/// that a batch too large for the machine is refused before anything is allocated.
public struct MemoryEstimate: Sendable, Equatable {
  /// Bytes per image of a batch: the most that the values alive at one time take, with the
  /// scratch of the operation running then (a convolution's patches, an attention's fused
  /// projection).
  public let bytesPerImage: Int
  /// Bytes each thread needs whatever the batch (an attention's T × T scores).
  public let bytesPerThread: Int

  public init(bytesPerImage: Int, bytesPerThread: Int) {
    self.bytesPerImage = bytesPerImage
    self.bytesPerThread = bytesPerThread
  }

  /// The total for `batch` images on `threads` threads, or nil when it does not fit an `Int`.
  public func bytes(batch: Int, threads: Int) -> Int? {
    let (images, overflow1) = bytesPerImage.multipliedReportingOverflow(by: batch)
    let (scratch, overflow2) = bytesPerThread.multipliedReportingOverflow(by: threads)
    let (total, overflow3) = images.addingReportingOverflow(scratch)
    return overflow1 || overflow2 || overflow3 ? nil : total
  }
}

extension GraphDocument {
  /// The memory estimate of this graph, which must be valid (``validate()``: every shape is then
  /// bounded and none of this arithmetic overflows).
  public var memoryEstimate: MemoryEstimate {
    let input = header.input
    func elements(_ shape: [Int]) -> Int { shape.dropFirst().reduce(1, *) }
    // Products of two bounded sizes can still pass Int.max; past 2^50 elements nothing fits anyway.
    func product(_ a: Int, _ b: Int) -> Int {
      let (result, overflow) = a.multipliedReportingOverflow(by: b)
      return overflow || result > 1 << 50 ? 1 << 50 : result
    }
    var lastUse: [String: Int] = [:]
    for (index, node) in nodes.enumerated() { for name in node.inputs { lastUse[name] = index } }
    for output in header.outputs { lastUse[output.node] = nodes.count }
    var shapes = [input.name: input.shape]
    var live = elements(input.shape)
    var peak = live
    var perThread = 0
    for (index, node) in nodes.enumerated() {
      let produced = elements(node.outputShape)
      var scratch = 0
      switch node.operation {
      case .conv2D:
        // im2col: one row of KH·KW·Cin values per output position.
        if let kernel = node.weights["kernel"].flatMap({ header.weights.tensors[$0]?.shape }), kernel.count == 4 {
          scratch = product(produced / max(kernel[3], 1), product(kernel[0] * kernel[1], kernel[2]))
        }
      case .multiHeadAttention:
        // The fused query, key and value projection; the T × T scores per thread.
        scratch = 3 * produced
        let tokens = node.outputShape.count == 3 ? node.outputShape[1] : 0
        perThread = max(perThread, product(tokens, tokens))
      default:
        break
      }
      peak = max(peak, live + produced + scratch)
      live += produced
      for name in Set(node.inputs) where lastUse[name] == index { live -= shapes[name].map(elements) ?? 0 }
      shapes[node.name] = node.outputShape
    }
    return MemoryEstimate(bytesPerImage: 4 * peak, bytesPerThread: 4 * perThread)
  }
}
