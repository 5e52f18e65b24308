import Checkpoint
import Testing

@testable import Formats

/// The byte transforms of the library layouts: axis permutations of any element size, and a
/// part's library bytes turned back into the canonical ones.
@Suite struct LibraryTensorTests {
  @Test(arguments: [2, 4, 8])
  func permutingAxesMovesEveryElementWhereNumpysTransposePutsIt(itemSize: Int) {
    let shape = [2, 3, 4]
    let permutation = [2, 0, 1]
    // Element (i, j, k) holds the value i·12 + j·4 + k in its first byte.
    var bytes = [UInt8](repeating: 0, count: 24 * itemSize)
    for value in 0..<24 { bytes[value * itemSize] = UInt8(value) }
    let permuted = bytes.withUnsafeBytes {
      AxisOrder.permuted($0, shape: shape, permutation: permutation, itemSize: itemSize)
    }
    // Output (k, i, j) of shape (4, 2, 3).
    for k in 0..<4 {
      for i in 0..<2 {
        for j in 0..<3 {
          #expect(permuted[((k * 2 + i) * 3 + j) * itemSize] == UInt8(i * 12 + j * 4 + k))
        }
      }
    }
  }

  @Test func aPartsLibraryBytesGiveTheCanonicalBytesBack() {
    let part = LibraryTensor.Part(canonical: "embedding.kernel", view: [2, 3, 4, 5], permutation: [3, 2, 0, 1])
    let canonical = (0..<120).flatMap { value -> [UInt8] in withUnsafeBytes(of: Float(value)) { Array($0) } }
    let library = canonical.withUnsafeBytes { part.libraryBytes($0, itemSize: 4) }
    #expect(part.shape == [5, 4, 2, 3] && library != canonical)
    #expect(library.withUnsafeBytes { part.canonicalBytes($0, itemSize: 4) } == canonical)
  }

  @Test func timmRatiosTruncateToTheHiddenWidths() {
    for (hidden, width) in [(384, 768), (7, 10), (3072, 768), (64, 32), (1, 3), (640, 1280)] {
      let ratio = TimmModelArgs.MLPRatio.ratio(hidden, of: width)
      #expect(Int(ratio * Double(width)) == hidden, "\(hidden)/\(width)")
    }
  }
}
