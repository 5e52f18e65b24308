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

/// One step of a computation as the memory estimate sees it: the values it reads, the value it
/// produces and its size, and the scratch it takes while it runs (elements per image).
public struct MemoryStep: Sendable {
  public var reads: [String]
  public var output: String
  public var produced: Int
  public var scratch: Int

  public init(reads: [String], output: String, produced: Int, scratch: Int = 0) {
    self.reads = reads
    self.output = output
    self.produced = produced
    self.scratch = scratch
  }
}

extension MemoryEstimate {
  /// Where counts of elements stop: past 2^50 nothing fits anyway, and no sum of such counts
  /// overflows.
  static let elementCap = 1 << 50

  /// The most elements per image alive at one time while `steps` run in order: the inputs
  /// throughout (their caller holds them for the whole run), every value produced until its
  /// last reader has run (the values in `kept`, the outputs, until the end), plus the scratch
  /// of the step running; sums stop at ``elementCap``.
  public static func peakElements(inputs: [String: Int], steps: [MemoryStep], kept: Set<String>) -> Int {
    let cap = elementCap
    var lastUse: [String: Int] = [:]
    for (index, step) in steps.enumerated() { for name in step.reads { lastUse[name] = index } }
    for name in kept.union(inputs.keys) { lastUse[name] = steps.count }
    var sizes = inputs
    var live = min(cap, inputs.values.reduce(0, +))
    var peak = live
    for (index, step) in steps.enumerated() {
      peak = max(peak, min(cap, live + step.produced + step.scratch))
      live = min(cap, live + step.produced)
      for name in Set(step.reads) where lastUse[name] == index { live = max(0, live - (sizes[name] ?? 0)) }
      sizes[step.output] = step.produced
    }
    return peak
  }
}

extension GraphDocument {
  /// The memory estimate of this graph, which must be valid (``validate()``: every shape is then
  /// bounded).
  public var memoryEstimate: MemoryEstimate {
    MemoryEstimate(
      input: header.input, nodes: nodes, outputs: header.outputs, weightShape: { header.weights.tensors[$0]?.shape })
  }
}

extension MemoryEstimate {
  /// The estimate of a graph of `nodes` taking `input` and keeping `outputs`, with the shapes of
  /// its weights by name from `weightShape`; every shape must be bounded (as in a valid graph).
  public init(input: InputContract, nodes: [Node], outputs: [GraphOutput], weightShape: (String) -> [Int]?) {
    func elements(_ shape: [Int]) -> Int { shape.dropFirst().reduce(1, *) }
    // Products of two bounded sizes can still pass Int.max: they stop at the cap too.
    func product(_ a: Int, _ b: Int) -> Int {
      let (result, overflow) = a.multipliedReportingOverflow(by: b)
      return overflow || result > MemoryEstimate.elementCap ? MemoryEstimate.elementCap : result
    }
    var perThread = 0
    let steps = nodes.map { node in
      let produced = elements(node.outputShape)
      var scratch = 0
      switch node.operation {
      case .conv2D:
        // im2col: one row of KH·KW·Cin values per output position.
        if let kernel = node.weights["kernel"].flatMap(weightShape), kernel.count == 4 {
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
      return MemoryStep(reads: node.inputs, output: node.name, produced: produced, scratch: scratch)
    }
    let peak = MemoryEstimate.peakElements(
      inputs: [input.name: elements(input.shape)], steps: steps, kept: Set(outputs.map(\.node)))
    self.init(bytesPerImage: 4 * peak, bytesPerThread: 4 * perThread)
  }
}
