extension Compute {
  /// LayerNorm over the last axis, into `output` (which may be `input`):
  /// `(x − mean) / √(var + ε) · scale + bias`, biased variance from centred values.
  public func layerNorm(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
    scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
  ) {
    let layerNorm = table.layerNorm
    let (src, dst) = (SharedPointer(UnsafeMutablePointer(mutating: input)), SharedPointer(output))
    let (s, b) = (
      SharedPointer(UnsafeMutablePointer(mutating: scale)), SharedPointer(UnsafeMutablePointer(mutating: bias))
    )
    parallelRanges(rows, minimumPerPart: max(1, Self.minimumElementsPerThread / max(columns, 1))) { range in
      layerNorm(
        src.pointer + range.lowerBound * columns, dst.pointer + range.lowerBound * columns, range.count,
        columns, s.pointer, b.pointer, epsilon)
    }
  }

  /// LayerNorm over the last axis.
  public func layerNorm(_ x: Tensor, scale: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
    let columns = x.shape.last!
    precondition(scale.count == columns && bias.count == columns, "layerNorm: parameters do not match width \(columns)")
    return Tensor(shape: x.shape) { out in
      x.scalars.withUnsafeBufferPointer { px in
        layerNorm(
          px.baseAddress!, out.baseAddress!, rows: x.count / columns, columns: columns,
          scale: scale.scalars, bias: bias.scalars, epsilon: epsilon)
      }
    }
  }

  /// GroupNorm of an NHWC tensor: per sample and group of `C/groups` channels, statistics
  /// over H, W and the group's channels (biased variance), then a per-channel affine.
  public func groupNorm(_ x: Tensor, groups: Int, scale: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
    precondition(x.rank == 4, "groupNorm takes NHWC tensors")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(c % groups == 0 && scale.count == c && bias.count == c, "groupNorm: \(c) channels, \(groups) groups")
    let width = c / groups
    let pixels = h * w
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { out in
      let shared = SharedPointer(out.baseAddress!)
      parallel(n * groups) { job in
        let (sample, group) = (job / groups, job % groups)
        let base = shared.pointer + sample * pixels * c + group * width
        // Two passes in double precision: exact enough for any image size and mean.
        var sum = 0.0
        for p in 0..<pixels { for j in 0..<width { sum += Double(base[p * c + j]) } }
        let mean = sum / Double(pixels * width)
        var squares = 0.0
        for p in 0..<pixels {
          for j in 0..<width {
            let d = Double(base[p * c + j]) - mean
            squares += d * d
          }
        }
        let inverse = 1 / (squares / Double(pixels * width) + Double(epsilon)).squareRoot()
        for j in 0..<width {
          let channel = group * width + j
          let factor = Float(inverse) * scale.scalars[channel]
          let offset = bias.scalars[channel] - Float(mean) * factor
          for p in 0..<pixels { base[p * c + j] = base[p * c + j] * factor + offset }
        }
      }
    }
    return y
  }
}
