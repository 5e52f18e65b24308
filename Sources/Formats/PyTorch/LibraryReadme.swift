import Graph

/// The `README.md` of a library folder: what the model is and where it came from, how to load
/// it, and what the user must know about its numerics.
enum LibraryReadme {
  /// The README for `header`'s model in `library`, with the Python that loads it and the notes.
  static func text(_ header: ExportHeader, library: String, loading: String, notes: [String]) -> String {
    let model = header.model
    let source = model.source
    var lines = [
      "# \(model.name) for \(library)",
      "",
      "Converted by \(header.generator.name) \(header.generator.version) from `\(source.file)` "
        + "(SHA-256 `\(source.sha256)`), \(model.variant), \(model.parameters) parameters in "
        + "\(header.weights.dtype), with the original numerics: GELU in its tanh approximation, LayerNorm epsilon 1e-6.",
      "",
      "```python",
      loading,
      "```",
      "",
      "Input: \(header.input.preprocessing.description)",
    ]
    for note in notes { lines += ["", "Note: " + note + "."] }
    lines += [
      "",
      "`\(LibraryFolder.documentFile)` holds the canonical graph, every weight's original Flax name and "
        + "CRC-32C: `mixer-convert verify CHECKPOINT.npz .` proves this folder against its checkpoint, and "
        + "`mixer-convert . ../CHECKPOINT.npz` writes the checkpoint back (outside this folder).", "",
    ]
    return lines.joined(separator: "\n")
  }
}
