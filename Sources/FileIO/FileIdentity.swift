import Foundation

/// Which file (or folder) a path names at one moment: its device and inode, whatever the names
/// and links that lead to it, and when its status last changed.
///
/// Every commit of an output puts a new file at the output's path; but a file system hands a
/// freed inode number out again at once, so telling whether the export a process looked at is
/// still there takes the status-change time too (``isUnchanged(from:)``): a file created since
/// has a later one.
public struct FileIdentity: Codable, Equatable, Sendable {
  public let device: UInt64
  public let inode: UInt64
  public let isDirectory: Bool
  /// The last change of its status (`st_ctim`: creation, rename, permissions, contents, and a
  /// folder's entries), in nanoseconds since 1970; for an identity `madeOf` files, the latest.
  public private(set) var statusChangeNanoseconds: Int64

  /// The identity of what `path` names (the link itself unless `followingLinks`), or nil when
  /// nothing is there.
  public init?(of path: String, followingLinks: Bool = false) {
    var info = stat()
    guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
    statusChangeNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
  }

  /// The identity of `path` as a whole made of `files` (an export's: its folder's files, an ONNX
  /// model's data file): that of `path`, with the latest status change among them all, so
  /// that one of them rewritten or replaced since (or a file added to the folder, which changes
  /// the folder's) counts as a change. Files not there are left out.
  public init?(of path: String, madeOf files: [String]) {
    guard let whole = FileIdentity(of: path) else { return nil }
    self = whole
    for file in files {
      if let part = FileIdentity(of: file) {
        statusChangeNanoseconds = max(statusChangeNanoseconds, part.statusChangeNanoseconds)
      }
    }
  }

  /// The same file: device and inode (now; a file deleted since may have left its number to
  /// another).
  public static func == (a: FileIdentity, b: FileIdentity) -> Bool { a.device == b.device && a.inode == b.inode }

  /// The same file as `other`, its status unchanged since: not one made since with a reused
  /// inode number, nor the same one renamed away and back.
  public func isUnchanged(from other: FileIdentity) -> Bool {
    self == other && statusChangeNanoseconds == other.statusChangeNanoseconds
  }
}
