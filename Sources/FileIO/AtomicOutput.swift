import Foundation

/// An output file or folder that appears under its final name only when complete.
///
/// Everything is written into a temporary sibling (`.NAME.tmp-PID-N`, same folder, so the
/// final rename is atomic). ``commit()`` renames it into place; if the process fails, is
/// interrupted by a signal, or the value is dropped without committing, the sibling is removed.
/// An existing output is never touched unless `replacing` was requested.
public final class AtomicOutput {
  /// The path the output will have when committed.
  public private(set) var finalPath: String
  /// The temporary sibling being written.
  public let temporaryPath: String
  private let isDirectory: Bool
  private let replacing: Bool
  private var finished = false

  /// Prepares a temporary sibling for `finalPath`.
  ///
  /// - Parameters:
  ///   - finalPath: where the output should end up.
  ///   - isDirectory: create a folder (a bundle) rather than a file.
  ///   - replacing: allow an existing output to be replaced (the `--force` flag).
  /// - Throws: ``FileIOError`` when the output exists and `replacing` is false, or when the
  ///   parent folder cannot be written.
  public init(finalPath: String, isDirectory: Bool, replacing: Bool) throws {
    let url = URL(fileURLWithPath: finalPath).standardizedFileURL
    self.finalPath = url.path
    self.isDirectory = isDirectory
    self.replacing = replacing
    let parent = url.deletingLastPathComponent().path
    var parentIsDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsDirectory),
      parentIsDirectory.boolValue
    else {
      throw FileIOError(path: finalPath, reason: "the folder \(parent) does not exist")
    }
    var existingIsDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: self.finalPath, isDirectory: &existingIsDirectory) {
      guard replacing else {
        throw FileIOError(path: finalPath, reason: "already exists; pass --force to replace it")
      }
      if existingIsDirectory.boolValue != isDirectory {
        let what = existingIsDirectory.boolValue ? "a folder" : "a file"
        throw FileIOError(path: finalPath, reason: "already exists as \(what); remove it first")
      }
    }
    temporaryPath = parent + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(TemporaryRegistry.shared.nextSerial())"
    if isDirectory {
      guard mkdir(temporaryPath, 0o755) == 0 else { throw FileIOError.system(finalPath, "cannot create a folder beside it") }
    }
    TemporaryRegistry.shared.register(temporaryPath)
  }

  deinit { if !finished { abandon() } }

  /// Path of a file inside the temporary folder (directory outputs only).
  public func temporaryPath(of name: String) -> String { temporaryPath + "/" + name }

  /// Moves the finished output into place under another name in the same folder (a name that
  /// depends on what was written, such as a data file named by its content's hash).
  public func commit(as name: String) throws {
    precondition(!name.contains("/"), "commit(as:) takes a name in the same folder")
    finalPath = (finalPath as NSString).deletingLastPathComponent + "/" + name
    try commit()
  }

  /// Moves the finished output into place, replacing an existing one when allowed.
  public func commit() throws {
    precondition(!finished, "output committed twice")
    if isDirectory, let dir = opendir(temporaryPath) {
      fsync(dirfd(dir))
      closedir(dir)
    }
    var displaced: String?
    if FileManager.default.fileExists(atPath: finalPath) {
      guard replacing else { throw FileIOError(path: finalPath, reason: "already exists; pass --force to replace it") }
      if isDirectory {
        // A non-empty folder cannot be renamed over: move the old one aside first.
        let aside = temporaryPath + ".old"
        guard rename(finalPath, aside) == 0 else { throw FileIOError.system(finalPath, "cannot move the existing output aside") }
        displaced = aside
        TemporaryRegistry.shared.register(aside)
      }
    }
    guard rename(temporaryPath, finalPath) == 0 else {
      let failure = FileIOError.system(finalPath, "cannot move the output into place")
      if let displaced { rename(displaced, finalPath) }
      throw failure
    }
    finished = true
    TemporaryRegistry.shared.unregister(temporaryPath)
    if let displaced {
      try? FileManager.default.removeItem(atPath: displaced)
      TemporaryRegistry.shared.unregister(displaced)
    }
    let parent = (finalPath as NSString).deletingLastPathComponent
    let parentFD = open(parent, O_RDONLY | O_DIRECTORY)
    if parentFD >= 0 {
      fsync(parentFD)
      close(parentFD)
    }
  }

  /// Removes the temporary output; the final path is left as it was.
  public func abandon() {
    finished = true
    try? FileManager.default.removeItem(atPath: temporaryPath)
    TemporaryRegistry.shared.unregister(temporaryPath)
  }
}
