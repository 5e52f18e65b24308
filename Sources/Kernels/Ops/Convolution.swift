extension Compute {
  /// 2-D convolution of an NHWC tensor with an HWIO kernel, by im2col and one GEMM.
  ///
  /// - Parameters:
  ///   - x: input of shape (N, H, W, Cin).
  ///   - kernel: weights of shape (KH, KW, Cin, Cout).
  ///   - bias: optional (Cout,).
  ///   - stride: the same stride on both axes.
  ///   - padding: SAME (extra padding bottom/right) or VALID.
  public func conv2d(_ x: Tensor, kernel: Tensor, bias: Tensor?, stride: Int, padding: Padding) -> Tensor {
    precondition(kernel.rank == 4 && kernel.shape[2] == x.shape[3], "conv2d: input \(x.shape), kernel \(kernel.shape)")
    let packed = pack(kernel.reshaped([kernel.shape[0] * kernel.shape[1] * kernel.shape[2], kernel.shape[3]]))
    return conv2d(
      x, packedKernel: packed, kernelSize: (kernel.shape[0], kernel.shape[1]), bias: bias, stride: stride,
      padding: padding)
  }

  /// 2-D convolution with a kernel pre-packed as a `(KH·KW·Cin, Cout)` matrix.
  public func conv2d(
    _ x: Tensor, packedKernel: PackedMatrix, kernelSize: (Int, Int), bias: Tensor?, stride: Int,
    padding: Padding
  ) -> Tensor {
    precondition(
      x.rank == 4 && packedKernel.rows == kernelSize.0 * kernelSize.1 * x.shape[3],
      "conv2d: input \(x.shape), kernel \(kernelSize) × \(packedKernel.rows / (kernelSize.0 * kernelSize.1))")
    let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
    let rows = padding.window(input: h, kernel: kernelSize.0, stride: stride)
    let cols = padding.window(input: w, kernel: kernelSize.1, stride: stride)
    let inputs =
      kernelSize == (1, 1) && stride == 1 ? x : patches(x, kernelSize: kernelSize, stride: stride, padding: padding)
    return dense(inputs, packed: packedKernel, bias: bias).reshaped([n, rows.output, cols.output, packedKernel.columns])
  }

  /// im2col: for every output position of a convolution window, the window's input values in
  /// (KH, KW, Cin) order — one row of the GEMM that computes the convolution. Padding is zeros.
  public func patches(_ x: Tensor, kernelSize: (Int, Int), stride: Int, padding: Padding) -> Tensor {
    precondition(x.rank == 4, "patches takes NHWC tensors")
    let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = kernelSize
    let rows = padding.window(input: h, kernel: kh, stride: stride)
    let cols = padding.window(input: w, kernel: kw, stride: stride)
    let depth = kh * kw * cin
    return Tensor(shape: [n, rows.output, cols.output, depth]) { out in
      x.scalars.withUnsafeBufferPointer { src in
        var row = out.baseAddress!
        for sample in 0..<n {
          for oy in 0..<rows.output {
            for ox in 0..<cols.output {
              let x0 = ox * stride - cols.before
              for ky in 0..<kh {
                let y = oy * stride - rows.before + ky
                let destination = row + ky * kw * cin
                if y < 0 || y >= h {
                  destination.initialize(repeating: 0, count: kw * cin)
                } else if x0 >= 0, x0 + kw <= w {
                  destination.initialize(from: src.baseAddress! + ((sample * h + y) * w + x0) * cin, count: kw * cin)
                } else {
                  for kx in 0..<kw {
                    let xx = x0 + kx
                    if xx < 0 || xx >= w {
                      (destination + kx * cin).initialize(repeating: 0, count: cin)
                    } else {
                      (destination + kx * cin).initialize(
                        from: src.baseAddress! + ((sample * h + y) * w + xx) * cin,
                        count: cin)
                    }
                  }
                }
              }
              row += depth
            }
          }
        }
      }
    }
  }

  /// Weight standardisation of an HWIO kernel, per output channel over (KH, KW, Cin):
  /// `(w − mean) / (std + ε)` with the population standard deviation and ε added to the
  /// standard deviation (not the variance), as the ResNet v2 stems of the hybrids use.
  public func standardizeWeights(_ kernel: Tensor, epsilon: Float = 1e-5) -> Tensor {
    precondition(kernel.rank == 4, "standardizeWeights takes HWIO kernels")
    let cout = kernel.shape[3]
    let fan = kernel.count / cout
    var y = kernel
    for o in 0..<cout {
      var sum = 0.0
      for i in 0..<fan { sum += Double(kernel.scalars[i * cout + o]) }
      let mean = sum / Double(fan)
      var squares = 0.0
      for i in 0..<fan {
        let d = Double(kernel.scalars[i * cout + o]) - mean
        squares += d * d
      }
      let denominator = (squares / Double(fan)).squareRoot() + Double(epsilon)
      for i in 0..<fan { y.scalars[i * cout + o] = Float((Double(kernel.scalars[i * cout + o]) - mean) / denominator) }
    }
    return y
  }
}
