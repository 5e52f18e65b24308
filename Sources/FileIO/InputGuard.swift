import Foundation

/// Refuses outputs that would destroy an input: the input itself (the same device and inode,
/// whatever the names and symbolic links say), a folder that holds it, or a file inside an
/// input that is a folder (an export being read).
public enum InputGuard {
  /// Checks that writing `output` leaves every file of `inputs` in place.
  ///
  /// - Throws: ``FileIOError`` naming `output` when it is one of `inputs`, a folder that holds
  ///   one of them, or lies inside one that is a folder (after resolving symbolic links).
  public static func check(output: String, inputs: [String]) throws(FileIOError) {
    let target = FileIdentity(of: output, followingLinks: true)
    let enclosingOutput = enclosingFolders(of: output)
    for input in inputs {
      guard let source = FileIdentity(of: input, followingLinks: true) else { continue }
      if source == target { throw FileIOError(path: output, reason: "is the input \(input); choose another output") }
      if let target, target.isDirectory, enclosingFolders(of: input).contains(target) {
        throw FileIOError(path: output, reason: "holds the input \(input); choose another output")
      }
      if source.isDirectory, enclosingOutput.contains(source) {
        throw FileIOError(path: output, reason: "is inside the input \(input); choose another output")
      }
    }
  }

  /// The folders that hold `path` (or what it links to), from its own folder up to the root.
  private static func enclosingFolders(of path: String) -> [FileIdentity] {
    var folder = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent()
      .resolvingSymlinksInPath()
    var folders: [FileIdentity] = []
    while true {
      if let identity = FileIdentity(of: folder.path, followingLinks: true) { folders.append(identity) }
      guard folder.path != "/" else { return folders }
      folder.deleteLastPathComponent()
    }
  }
}
