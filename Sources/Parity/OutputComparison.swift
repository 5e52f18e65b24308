import Kernels

/// How one output of the export compares with the original model's.
public struct OutputComparison: Encodable, Sendable {
  /// Output name (`logits`, `pre_logits`, `features`).
  public let name: String
  public let shape: [Int]
  /// Largest absolute difference.
  public let maxAbsDiff: Double
  /// Largest magnitude of the original output (the scale of `rtol`).
  public let maxAbsReference: Double
  /// `maxAbsDiff / maxAbsReference`.
  public let relativeMaxDiff: Double
  /// Smallest cosine similarity over the samples of the batch.
  public let cosineSimilarity: Double
  /// Fraction of samples whose top class agrees (class outputs only): the export's first class
  /// is one of the original's, ties included.
  public let top1Agreement: Double?
  /// Mean fraction of the original top-5 classes found in the export's top 5 (class outputs
  /// only), counting classes tied with the fifth on either side.
  public let top5Overlap: Double?
  /// For a float16 or bfloat16 export: how far its output is from the original computed with
  /// the full-precision weights, relative to that output's largest magnitude (what the narrower
  /// dtype costs; reported, not judged).
  public let dtypeEffect: Double?
  /// The largest difference allowed.
  public let allowedMaxAbsDiff: Double
  /// How many values are NaN or infinite, in either output, at the same position counted once.
  public let nonFiniteValues: Int
  /// Whether the output is within tolerance, every value of both outputs finite.
  public let passed: Bool

  /// Compares `candidate` with `reference` (same shape). Samples are along the first axis; for
  /// class outputs each row of the last axis is one (one per token for an unpooled head).
  /// `fullPrecisionReference` is the original's output with full-precision weights when the
  /// export stores narrower ones.
  ///
  /// Special values: a NaN or an infinity on either side fails, since no tolerance measures it
  /// (an original that computes one has weights that are not finite, or overflows). The same
  /// infinity on both sides differs by 0, any other difference involving one is infinite, and
  /// the scale of `rtol`, like every magnitude here, is taken over finite values only. Tied classes count as agreeing (see ``top1Agreement`` and ``top5Overlap``).
  public static func compare(
    name: String, reference: Tensor, candidate: Tensor, tolerance: Tolerance,
    classes: Bool, fullPrecisionReference: Tensor? = nil
  ) -> OutputComparison {
    precondition(reference.shape == candidate.shape, "\(name): shapes \(reference.shape) and \(candidate.shape) differ")
    let width = classes ? reference.shape.last ?? 1 : reference.count / max(reference.shape.first ?? 1, 1)
    let samples = reference.count / max(width, 1)
    // An output of no classes (a head of width 0) has no top classes to agree on.
    let ranked = classes && samples > 0
    var maxDiff = 0.0
    var maxRef = 0.0
    var worstCosine = 1.0
    var agree = 0
    var overlap = 0.0
    var nonFinite = 0
    for s in 0..<samples {
      let r = reference.scalars[(s * width)..<((s + 1) * width)].map(Double.init)
      let c = candidate.scalars[(s * width)..<((s + 1) * width)].map(Double.init)
      var dot = 0.0, rr = 0.0, cc = 0.0
      var disagreesNonFinitely = false
      for i in 0..<width {
        let bothFinite = r[i].isFinite && c[i].isFinite
        let difference = r[i] == c[i] ? 0 : bothFinite ? abs(r[i] - c[i]) : .infinity
        maxDiff = max(maxDiff, difference)
        if difference == .infinity { disagreesNonFinitely = true }
        guard bothFinite else {
          nonFinite += 1
          continue
        }
        maxRef = max(maxRef, abs(r[i]))
        dot += r[i] * c[i]
        rr += r[i] * r[i]
        cc += c[i] * c[i]
      }
      let cosine = rr == 0 && cc == 0 ? 1 : dot / (rr.squareRoot() * cc.squareRoot())
      worstCosine = min(worstCosine, cosine.isNaN || disagreesNonFinitely ? -1 : cosine)
      if classes {
        let k = min(5, width)
        let (referenceTop, candidateTop) = (top(r, [1, k]), top(c, [1, k]))
        if !referenceTop[0].isDisjoint(with: candidateTop[0]) { agree += 1 }
        overlap += Double(min(k, referenceTop[1].intersection(candidateTop[1]).count)) / Double(k)
      }
    }
    let allowed = tolerance.bound(scale: maxRef)
    return OutputComparison(
      name: name, shape: reference.shape, maxAbsDiff: maxDiff, maxAbsReference: maxRef,
      relativeMaxDiff: maxRef > 0 ? maxDiff / maxRef : maxDiff, cosineSimilarity: worstCosine,
      top1Agreement: ranked ? Double(agree) / Double(samples) : nil,
      top5Overlap: ranked ? overlap / Double(samples) : nil,
      dtypeEffect: fullPrecisionReference.map { full in
        let scale = full.scalars.reduce(0) { max($0, abs(Double($1))) }
        // A NaN on either side (or opposite infinities) is an infinite difference.
        let difference = zip(full.scalars, candidate.scalars).reduce(0.0) {
          let gap = $1.0 == $1.1 ? 0 : abs(Double($1.0) - Double($1.1))
          return gap.isNaN ? .infinity : max($0, gap)
        }
        return scale > 0 ? difference / scale : difference
      },
      allowedMaxAbsDiff: allowed, nonFiniteValues: nonFinite, passed: nonFinite == 0 && maxDiff <= allowed)
  }

  /// For each `k` of `counts`, the classes among the `k` largest values, with every class tied
  /// with the `k`-th (so possibly more than `k`); NaNs are never among them. Sorts once.
  private static func top(_ values: [Double], _ counts: [Int]) -> [Set<Int>] {
    let ordered = values.filter { !$0.isNaN }.sorted(by: >)
    return counts.map { k in
      guard ordered.count >= k, k > 0 else { return Set(values.indices.filter { !values[$0].isNaN }) }
      let threshold = ordered[k - 1]
      return Set(values.indices.filter { values[$0] >= threshold })
    }
  }
}
