/// Resizes an RGB image as `tf.image.resize(method="bilinear")` does by default (half-pixel
/// centres, no antialiasing), in float32 with TensorFlow's order of operations so the
/// result matches it to the last bit.
///
/// Output row `i` samples input coordinate `y = (i + 0.5) · (H / h) − 0.5` between rows
/// `max(⌊y⌋, 0)` and `min(⌈y⌉, H − 1)` with weight `y − ⌊y⌋`; columns likewise. Each output
/// value is `top + (bottom − top) · wy` with `top = tl + (tr − tl) · wx` (and `bottom` from
/// the lower row).
public enum BilinearResize {
  /// The resized image as `height · width · 3` floats in 0…255, HWC.
  public static func resize(_ image: RGBImage, height: Int, width: Int) -> [Float] {
    let rows = taps(from: image.height, to: height)
    let columns = taps(from: image.width, to: width)
    var out = [Float](repeating: 0, count: height * width * 3)
    image.pixels.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { target in
        for (i, row) in rows.enumerated() {
          let upper = row.low * image.width * 3
          let lower = row.high * image.width * 3
          for (j, column) in columns.enumerated() {
            for c in 0..<3 {
              let topLeft = Float(source[upper + column.low * 3 + c])
              let topRight = Float(source[upper + column.high * 3 + c])
              let bottomLeft = Float(source[lower + column.low * 3 + c])
              let bottomRight = Float(source[lower + column.high * 3 + c])
              let top = topLeft + (topRight - topLeft) * column.weight
              let bottom = bottomLeft + (bottomRight - bottomLeft) * column.weight
              target[(i * width + j) * 3 + c] = top + (bottom - top) * row.weight
            }
          }
        }
      }
    }
    return out
  }

  /// The two source indices and the weight of the second, for each output index.
  static func taps(from input: Int, to output: Int) -> [(low: Int, high: Int, weight: Float)] {
    let scale = Float(input) / Float(output)
    return (0..<output).map { index in
      let position = (Float(index) + 0.5) * scale - 0.5
      let floor = position.rounded(.down)
      return (max(Int(floor), 0), min(Int(position.rounded(.up)), input - 1), position - floor)
    }
  }
}
