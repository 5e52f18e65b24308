import Checkpoint
import Models

extension FuzzTargets {
  /// An `.npz` archive opened in memory: libzip's directory, every member's npy header, every
  /// member streamed (CRC-32 included), then the parameter tree and model recognition.
  static let npzTarget = FuzzTarget(name: "npz", summary: "zip/npz reader on an in-memory archive, model recognition") {
    bytes in
    guard let file = try? NpzFile(bytes: Array(bytes), name: "input.npz") else { return }
    for array in file.arrays {
      try? file.forEachChunk(of: array, chunkSize: 1 << 16) { _ in }
    }
    let tree = ParamTree(arrays: file.arrays)
    if case .success(let recognition) = ModelRecognizer.recognize(tree) { _ = recognition.report.lines }
  }
}
