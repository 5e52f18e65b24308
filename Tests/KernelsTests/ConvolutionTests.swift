import Foundation
import Testing

@testable import Kernels

@Suite struct ConvolutionTests {
  /// Direct convolution with explicit padding, in double precision.
  static func naiveConv(
    _ x: Tensor, _ k: Tensor, _ bias: Tensor?, stride: Int, padding: Padding
  ) -> (shape: [Int], values: [Double]) {
    let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw, cout) = (k.shape[0], k.shape[1], k.shape[3])
    let rows = padding.window(input: h, kernel: kh, stride: stride)
    let cols = padding.window(input: w, kernel: kw, stride: stride)
    var out: [Double] = []
    for s in 0..<n {
      for oy in 0..<rows.output {
        for ox in 0..<cols.output {
          for o in 0..<cout {
            var sum = bias.map { Double($0.scalars[o]) } ?? 0
            for ky in 0..<kh {
              for kx in 0..<kw {
                let y = oy * stride - rows.before + ky
                let xx = ox * stride - cols.before + kx
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                for i in 0..<cin {
                  sum +=
                    Double(x.scalars[((s * h + y) * w + xx) * cin + i])
                    * Double(k.scalars[((ky * kw + kx) * cin + i) * cout + o])
                }
              }
            }
            out.append(sum)
          }
        }
      }
    }
    return ([n, rows.output, cols.output, cout], out)
  }

  @Test func sameSplitsExtraPaddingBottomRight() {
    // checkpoint-layout.md section 6: 7×7/2 on 224 → 2 before, 3 after; 3×3/2 → 0, 1;
    // 3×3/1 → 1, 1; 1×1/2 → none.
    #expect(Padding.same.window(input: 224, kernel: 7, stride: 2) == (112, 2, 3))
    #expect(Padding.same.window(input: 56, kernel: 3, stride: 2) == (28, 0, 1))
    #expect(Padding.same.window(input: 56, kernel: 3, stride: 1) == (56, 1, 1))
    #expect(Padding.same.window(input: 56, kernel: 1, stride: 2) == (28, 0, 0))
    #expect(Padding.same.window(input: 70, kernel: 16, stride: 16) == (5, 5, 5))
    #expect(Padding.valid.window(input: 70, kernel: 16, stride: 16) == (4, 0, 0))
  }

  @Test(arguments: computes)
  func convMatchesNaiveForEveryGeometry(compute: Compute) {
    var random = Random(10)
    let cases: [(h: Int, w: Int, cin: Int, k: Int, cout: Int, stride: Int, padding: Padding, bias: Bool)] = [
      (9, 7, 3, 3, 5, 1, .same, true), (9, 7, 3, 3, 5, 2, .same, false), (11, 12, 2, 7, 4, 2, .same, false),
      (8, 8, 4, 1, 6, 1, .same, true), (8, 8, 4, 1, 6, 2, .same, false), (32, 32, 3, 16, 8, 16, .valid, true),
      (35, 33, 3, 16, 8, 16, .same, true), (10, 10, 3, 4, 2, 3, .valid, false),
    ]
    for c in cases {
      let x = random.tensor([2, c.h, c.w, c.cin])
      let kernel = random.tensor([c.k, c.k, c.cin, c.cout])
      let bias = c.bias ? random.tensor([c.cout]) : nil
      let y = compute.conv2d(x, kernel: kernel, bias: bias, stride: c.stride, padding: c.padding)
      let expected = Self.naiveConv(x, kernel, bias, stride: c.stride, padding: c.padding)
      #expect(y.shape == expected.shape, "\(c)")
      #expect(maxDifference(y.scalars, expected.values) < 1e-4, "\(c)")
    }
  }

  @Test(arguments: computes)
  func maxPoolPadsWithMinusInfinity(compute: Compute) {
    var random = Random(11)
    // All-negative input: zero padding would show up as zeros in the output.
    let x = random.tensor([1, 8, 8, 3], scale: 1, offset: -5)
    let y = compute.maxPool(x, window: 3, stride: 2, padding: .same)
    #expect(y.shape == [1, 4, 4, 3])
    for oy in 0..<4 {
      for ox in 0..<4 {
        for c in 0..<3 {
          var best = -Float.infinity
          for ky in 0..<3 {
            for kx in 0..<3 {
              let (yy, xx) = (oy * 2 + ky, ox * 2 + kx)  // SAME on 8: 0 before, 1 after
              if yy < 8, xx < 8 { best = max(best, x.scalars[(yy * 8 + xx) * 3 + c]) }
            }
          }
          #expect(y.scalars[(oy * 4 + ox) * 3 + c] == best)
        }
      }
    }
    #expect(y.scalars.allSatisfy { $0 < 0 })
  }

  @Test(arguments: computes)
  func attentionMatchesNaive(compute: Compute) {
    var random = Random(12)
    let (n, t, heads, d) = (2, 17, 4, 8)
    let q = random.tensor([n, t, heads * d])
    let k = random.tensor([n, t, heads * d])
    let v = random.tensor([n, t, heads * d])
    let y = compute.attention(query: q, key: k, value: v, heads: heads)
    let width = heads * d
    for s in 0..<n {
      for h in 0..<heads {
        for i in 0..<t {
          var logits = [Double](repeating: 0, count: t)
          for j in 0..<t {
            for c in 0..<d {
              logits[j] +=
                Double(q.scalars[(s * t + i) * width + h * d + c]) / Double(d).squareRoot()
                * Double(k.scalars[(s * t + j) * width + h * d + c])
            }
          }
          let m = logits.max()!
          let e = logits.map { Foundation.exp($0 - m) }
          let total = e.reduce(0, +)
          for c in 0..<d {
            let expected = (0..<t).map { e[$0] / total * Double(v.scalars[(s * t + $0) * width + h * d + c]) }.reduce(
              0, +)
            #expect(abs(Double(y.scalars[(s * t + i) * width + h * d + c]) - expected) < 2e-6)
          }
        }
      }
    }
  }

  /// One query token's attention (a folded SelectToken) is that token's row of the whole
  /// attention, bit for bit, for widths that fill whole vectors and for widths that do not.
  @Test(arguments: computes)
  func oneQueryTokenIsItsRowOfTheWhole(compute: Compute) {
    var random = Random(5)
    for (n, t, heads, d) in [(2, 17, 4, 8), (2, 16, 1, 3), (1, 197, 2, 64)] {
      let width = heads * d
      let projection = random.tensor([n, t, 3 * width])
      var whole = projection
      let all = compute.attention(fused: &whole, heads: heads)
      for token in [0, 2, t - 1] {
        var fused = projection
        let one = compute.attention(fused: &fused, heads: heads, queryToken: token)
        #expect(one.shape == [n, width])
        for s in 0..<n {
          let row = Array(all.scalars[((s * t + token) * width)..<((s * t + token + 1) * width)])
          #expect(
            Array(one.scalars[(s * width)..<((s + 1) * width)]) == row,
            "\(n)×\(t), \(heads) heads of \(d), token \(token)")
        }
      }
    }
  }
}
