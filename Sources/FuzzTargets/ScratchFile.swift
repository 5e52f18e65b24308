import Foundation

/// A file of this process under the temporary folder, rewritten with each input of the targets
/// that read through the file system (the same path every time: no folder fills up).
struct ScratchFile {
  /// The path.
  let path: String

  /// `name` (with any suffix) in a folder of this process's own.
  init(_ name: String) {
    let folder = NSTemporaryDirectory() + "mixer-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    path = folder + "/" + name
  }

  /// Replaces the file's content with `bytes`.
  func write(_ bytes: UnsafeRawBufferPointer) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  }
}
