import Foundation

/// Refuses outputs that would destroy an input: the input itself (the same device and inode,
/// whatever the names and symbolic links say), or a folder that holds it.
public enum InputGuard {
  /// Checks that writing `output` leaves every file of `inputs` in place.
  ///
  /// - Throws: ``FileIOError`` naming `output` when it is one of `inputs` or a folder that
  ///   holds one of them (after resolving symbolic links).
  public static func check(output: String, inputs: [String]) throws(FileIOError) {
    guard let target = FileIdentity(output) else { return }  // nothing there to destroy
    for input in inputs {
      guard let source = FileIdentity(input) else { continue }
      if source == target { throw FileIOError(path: output, reason: "is the input \(input); choose another output") }
      guard target.isDirectory else { continue }
      var folder = URL(fileURLWithPath: input).resolvingSymlinksInPath().deletingLastPathComponent()
      while true {
        if FileIdentity(folder.path) == target {
          throw FileIOError(path: output, reason: "holds the input \(input); choose another output")
        }
        guard folder.path != "/" else { break }
        folder.deleteLastPathComponent()
      }
    }
  }
}

/// A file's device and inode, symbolic links followed.
struct FileIdentity: Equatable {
  let device: UInt64
  let inode: UInt64
  let isDirectory: Bool

  init?(_ path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
  }

  static func == (a: FileIdentity, b: FileIdentity) -> Bool { a.device == b.device && a.inode == b.inode }
}
