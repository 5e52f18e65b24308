/// Builds a layout's tensor list from canonical names, looking up their shapes.
struct LibraryTensorList {
  let shapes: CanonicalShapes
  private(set) var tensors: [LibraryTensor] = []

  init(shapes: CanonicalShapes) { self.shapes = shapes }

  mutating func append(_ tensor: LibraryTensor) { tensors.append(tensor) }

  /// A canonical tensor as it is.
  mutating func copy(_ name: String, _ canonical: String) throws {
    tensors.append(.copy(name, canonical, try shapes.of(canonical)))
  }

  /// A Dense layer (`kernel`, `bias`) as a Linear one (`weight`, `bias`).
  mutating func linear(_ name: String, _ canonical: String) throws {
    tensors.append(.linear(name + ".weight", canonical + ".kernel", try shapes.of(canonical + ".kernel", rank: 2)))
    try copy(name + ".bias", canonical + ".bias")
  }

  /// A normalisation layer (`scale`, `bias`) as PyTorch's (`weight`, `bias`).
  mutating func norm(_ name: String, _ canonical: String) throws {
    try copy(name + ".weight", canonical + ".scale")
    try copy(name + ".bias", canonical + ".bias")
  }

  /// A convolution kernel, HWIO as OIHW.
  mutating func conv(_ name: String, _ canonical: String) throws {
    tensors.append(.conv(name, canonical, try shapes.of(canonical, rank: 4)))
  }
}
