/// Orders names the way people read them: digit runs compare as numbers, so `block_2`
/// comes before `block_10`. Ties fall back to plain byte order, which makes it total.
public enum NaturalOrder {
  /// Whether `a` sorts before `b`.
  public static func less(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    var i = 0
    var j = 0
    while i < x.count, j < y.count {
      if isDigit(x[i]), isDigit(y[j]) {
        let startI = i
        let startJ = j
        while i < x.count, isDigit(x[i]) { i += 1 }
        while j < y.count, isDigit(y[j]) { j += 1 }
        let u = trimZeros(x[startI..<i])
        let v = trimZeros(y[startJ..<j])
        if u.count != v.count { return u.count < v.count }
        if u != v { return u.lexicographicallyPrecedes(v) }
      } else {
        if x[i] != y[j] { return x[i] < y[j] }
        i += 1
        j += 1
      }
    }
    if (x.count - i) != (y.count - j) { return (x.count - i) < (y.count - j) }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

  private static func trimZeros(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    let trimmed = s.drop(while: { $0 == 48 })
    return trimmed.isEmpty ? s.suffix(1) : trimmed
  }
}
