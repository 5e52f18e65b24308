import Kernels
import Models
import Testing

/// The position-embedding resize against the definition written independently: output cell
/// (i, j) samples input coordinate (i, j)·(from − 1)/(to − 1) with the linear "tent" kernel
/// max(0, 1 − |distance|) along each axis, summed over every input cell.
@Suite struct PositionEmbeddingResizeTests {
  static func tent(_ grid: [Double], from: Int, to: Int, width: Int) -> [Double] {
    var out: [Double] = []
    for i in 0..<to {
      for j in 0..<to {
        let (y, x) =
          to > 1
          ? (Double(i) * Double(from - 1) / Double(to - 1), Double(j) * Double(from - 1) / Double(to - 1)) : (0, 0)
        for c in 0..<width {
          var value = 0.0
          for p in 0..<from {
            for q in 0..<from {
              value +=
                grid[(p * from + q) * width + c] * max(0, 1 - abs(y - Double(p))) * max(0, 1 - abs(x - Double(q)))
            }
          }
          out.append(value)
        }
      }
    }
    return out
  }

  @Test(arguments: [
    (4, 6, true), (6, 4, true), (3, 7, false), (5, 5, false), (2, 1, true), (1, 3, false), (14, 24, true),
  ])
  func resizeMatchesTheTentDefinition(from: Int, to: Int, classToken: Bool) {
    let width = 3
    let extra = classToken ? 1 : 0
    let count = (from * from + extra) * width
    let values = (0..<count).map { index -> Float in Float((index * 37) % 23) / 23 - 0.5 }
    let resize = PositionEmbeddingResize(from: from, to: to, classToken: classToken)
    let result = resize.apply(Tensor(shape: [1, from * from + extra, width], scalars: values))
    #expect(result.shape == [1, to * to + extra, width])
    #expect(Array(result.scalars.prefix(extra * width)) == Array(values.prefix(extra * width)), "class row kept as is")
    let expected = Self.tent(values.dropFirst(extra * width).map(Double.init), from: from, to: to, width: width)
    for (got, want) in zip(result.scalars.dropFirst(extra * width), expected) {
      #expect(abs(Double(got) - want) <= 1e-6 * max(1, abs(want)))
    }
    if from == to {
      #expect(result.scalars == values, "same size is the identity")
    }
  }
}
