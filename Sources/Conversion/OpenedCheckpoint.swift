import Checkpoint
import Models

/// A checkpoint opened, its tree built and its model recognised.
struct OpenedCheckpoint {
  let path: String
  let file: NpzFile
  let tree: ParamTree
  let recognition: Recognition
  /// The tensors as float32, each read once (see ``CheckpointParameters``).
  let parameters: CheckpointParameters

  /// Opens `path` and recognises its model.
  ///
  /// - Parameter allowUnused: accept tensors the architecture does not use.
  /// - Throws: ``ConversionError`` when the model is unrecognised or its tensors do not match
  ///   the architecture (the message lists the first problems).
  init(path: String, allowUnused: Bool) throws {
    self.path = path
    file = try NpzFile(path: path)
    tree = ParamTree(arrays: file.arrays)
    parameters = CheckpointParameters(file: file, tree: tree)
    switch ModelRecognizer.recognize(tree) {
    case .failure(let error):
      throw ConversionError(path: path, reason: "unrecognised model: \(error.reason)")
    case .success(let recognition):
      self.recognition = recognition
    }
    let report = recognition.report
    guard report.isUsable, allowUnused || report.unused.isEmpty else {
      let lines = report.lines
      let shown = lines.prefix(3).joined(separator: "; ")
      let more = lines.count > 3 ? " (and \(lines.count - 3) more; 'mixer-convert inspect' lists them all)" : ""
      throw ConversionError(
        path: path, reason: "does not match \(recognition.displayName): \(shown)\(more)",
        remedy: report.isUsable ? .allowUnusedTensors : nil)
    }
  }
}
