import Foundation

/// Which file (or folder) a path names at one moment: its device and inode, whatever the names
/// and links that lead to it. Every commit of an output puts a new one at the output's path, so
/// comparing identities also tells whether the export a process looked at is still there.
public struct FileIdentity: Codable, Equatable, Sendable {
  public let device: UInt64
  public let inode: UInt64
  public let isDirectory: Bool

  /// The identity of what `path` names (the link itself unless `followingLinks`), or nil when
  /// nothing is there.
  public init?(of path: String, followingLinks: Bool = false) {
    var info = stat()
    guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// The same file: device and inode.
  public static func == (a: FileIdentity, b: FileIdentity) -> Bool { a.device == b.device && a.inode == b.inode }
}
