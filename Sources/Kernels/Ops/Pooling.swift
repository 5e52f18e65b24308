extension Compute {
  /// Max pooling of an NHWC tensor over a square window; padding counts as −∞.
  public func maxPool(_ x: Tensor, window: Int, stride: Int, padding: Padding) -> Tensor {
    precondition(x.rank == 4, "maxPool takes NHWC tensors")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let rows = padding.window(input: h, kernel: window, stride: stride)
    let cols = padding.window(input: w, kernel: window, stride: stride)
    return Tensor(shape: [n, rows.output, cols.output, c]) { out in
      x.scalars.withUnsafeBufferPointer { src in
        var o = 0
        for sample in 0..<n {
          for oy in 0..<rows.output {
            for ox in 0..<cols.output {
              let cell = out.baseAddress! + o
              cell.initialize(repeating: -.infinity, count: c)
              for ky in 0..<window {
                let y = oy * stride - rows.before + ky
                guard y >= 0, y < h else { continue }
                for kx in 0..<window {
                  let xx = ox * stride - cols.before + kx
                  guard xx >= 0, xx < w else { continue }
                  let input = src.baseAddress! + ((sample * h + y) * w + xx) * c
                  for j in 0..<c { cell[j] = max(cell[j], input[j]) }
                }
              }
              o += c
            }
          }
        }
      }
    }
  }
}
