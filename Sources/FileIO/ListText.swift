extension Array where Element == String {
  /// The items as a sentence lists them: `a, b or c` with `conjunction` "or" (`a` alone, `a or b`
  /// for two).
  public func listed(_ conjunction: String) -> String {
    count > 1 ? dropLast().joined(separator: ", ") + " \(conjunction) " + last! : joined()
  }

  /// The items as file names in a sentence: a name holding a space (or none at all) quoted,
  /// and past three, the first two and how many more: `a, 'b c' and 3 more`.
  public var namedFiles: String {
    let quoted = map { $0.contains(where: \.isWhitespace) || $0.isEmpty ? "'\($0)'" : $0 }
    return (quoted.count <= 3 ? quoted : Array(quoted.prefix(2)) + ["\(quoted.count - 2) more"]).listed("and")
  }
}
