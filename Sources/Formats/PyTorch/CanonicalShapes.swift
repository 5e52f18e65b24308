/// The canonical shape of every weight of a graph, looked up by name: a missing weight (a
/// graph that is not as mixer-convert writes it) is an error naming the file.
struct CanonicalShapes {
  let byName: [String: [Int]]
  /// The export the graph is in.
  let path: String

  /// Whether the graph has the weight.
  func contains(_ name: String) -> Bool { byName[name] != nil }

  /// The weight's shape, of `rank` axes when a rank is given.
  func of(_ name: String, rank: Int? = nil) throws -> [Int] {
    guard let shape = byName[name], rank.map({ shape.count == $0 }) ?? true else {
      throw ExportFileError(
        path: path,
        reason: "the graph has no \(rank.map { "\($0)-axis " } ?? "")weight '\(name)': "
          + "it is not a Mixer, ViT or hybrid as mixer-convert writes them")
    }
    return shape
  }
}

extension CanonicalShapes {
  /// The shapes of a conversion's tensors.
  init(_ request: ExportWriteRequest) { self.init(byName: request.shapes, path: request.path) }
}
