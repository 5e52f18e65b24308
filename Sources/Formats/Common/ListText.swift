extension Array where Element == String {
  /// The items as a sentence lists them: `a, b or c` with `conjunction` "or" (`a` alone, `a or b`
  /// for two).
  public func listed(_ conjunction: String) -> String {
    count > 1 ? dropLast().joined(separator: ", ") + " \(conjunction) " + last! : joined()
  }
}
