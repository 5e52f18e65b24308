import Imaging
import Testing

/// The resize against the definition written independently, in double precision: each output
/// value is the sum over all input pixels of the pixel times the linear "tent" weights
/// max(0, 1 − |distance|) along each axis, at the sample point (i + ½)·(in/out) − ½ clamped
/// to the image.
@Suite struct BilinearResizeTests {
  static func reference(_ image: RGBImage, height: Int, width: Int) -> [Double] {
    func point(_ i: Int, _ input: Int, _ output: Int) -> Double {
      min(max((Double(i) + 0.5) * Double(input) / Double(output) - 0.5, 0), Double(input - 1))
    }
    var out: [Double] = []
    for i in 0..<height {
      let y = point(i, image.height, height)
      for j in 0..<width {
        let x = point(j, image.width, width)
        for c in 0..<3 {
          var value = 0.0
          for p in 0..<image.height {
            for q in 0..<image.width {
              let weight = max(0, 1 - abs(y - Double(p))) * max(0, 1 - abs(x - Double(q)))
              value += weight * Double(image.pixels[(p * image.width + q) * 3 + c])
            }
          }
          out.append(value)
        }
      }
    }
    return out
  }

  static func image(height: Int, width: Int, seed: Int) -> RGBImage {
    RGBImage(
      width: width, height: height, pixels: (0..<(height * width * 3)).map { UInt8(($0 * 37 + seed * 11) % 256) })
  }

  @Test(arguments: [
    ((7, 5), (3, 4)), ((3, 4), (9, 13)), ((13, 9), (13, 9)), ((1, 1), (4, 3)), ((8, 6), (8, 3)),
    ((5, 17), (2, 1)), ((17, 23), (224, 224)), ((224, 160), (64, 64)),
  ])
  func matchesTheTentDefinition(source: (Int, Int), target: (Int, Int)) {
    let image = Self.image(height: source.0, width: source.1, seed: source.0 + target.1)
    let resized = BilinearResize.resize(image, height: target.0, width: target.1)
    let expected = Self.reference(image, height: target.0, width: target.1)
    #expect(resized.count == expected.count)
    let worst = zip(resized, expected).map { abs(Double($0) - $1) }.max() ?? 0
    // The product computes sample points in float32 as TensorFlow does: a position off by a few
    // ulp (~1e-6 pixel) times a neighbour difference of up to 255 gives ~3e-4 here. A wrong
    // centre convention or an off-by-one would be off by tens.
    #expect(worst <= 1e-3, "\(source) → \(target): \(worst)")
  }

  @Test func sameSizeIsTheIdentity() {
    let image = Self.image(height: 6, width: 9, seed: 3)
    #expect(BilinearResize.resize(image, height: 6, width: 9) == image.pixels.map(Float.init))
  }
}
