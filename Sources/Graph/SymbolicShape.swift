/// A graph shape as messages and summaries print it: `[N, 17, 10]`, the free batch
/// dimension (-1) written as N.
public func symbolicShape(_ shape: [Int]) -> String {
  "[" + shape.map { $0 == -1 ? "N" : String($0) }.joined(separator: ", ") + "]"
}
