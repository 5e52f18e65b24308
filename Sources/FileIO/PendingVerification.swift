import Foundation

/// The hidden file `.STEM.unverified` beside an output (``SiblingNames``), which says that a
/// batch converted the output to verify it and has not verified it yet.
///
/// A batch marks the output (durably) before it converts it, and clears the mark once the
/// verification has settled it either way. A run killed in between leaves the mark beside a
/// complete but unverified output, so the next run verifies that output instead of skipping
/// it as done.
public enum PendingVerification {
  /// Marks `output` as awaiting verification: the mark is on disk when this returns.
  ///
  /// - Throws: ``FileIOError`` when the mark cannot be written or synced.
  public static func mark(_ output: String) throws(FileIOError) {
    let path = markPath(output)
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard descriptor >= 0 else { throw FileIOError.system(output, "cannot record that it awaits verification") }
    let text = Array("mixer-convert convert-all converted \(lastComponent(output)) and has not verified it yet\n".utf8)
    let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
    if written >= 0, written < text.count { errno = ENOSPC }
    let synced = written == text.count && fsync(descriptor) == 0 && syncFolder(of: output)
    let error = errno
    close(descriptor)
    guard synced else {
      unlink(path)
      errno = error
      throw FileIOError.system(output, "cannot record that it awaits verification")
    }
  }

  /// Whether `output` is marked as awaiting verification.
  public static func isMarked(_ output: String) -> Bool {
    var info = stat()
    return lstat(markPath(output), &info) == 0
  }

  /// Removes the mark of `output`, if any.
  public static func clear(_ output: String) { unlink(markPath(output)) }

  private static func markPath(_ output: String) -> String {
    let folder = (output as NSString).deletingLastPathComponent
    let name = SiblingNames.pendingVerification(stem: SiblingNames.stem(lastComponent(output)))
    return folder.isEmpty ? name : folder + "/" + name
  }

  private static func lastComponent(_ output: String) -> String { (output as NSString).lastPathComponent }

  private static func syncFolder(of output: String) -> Bool {
    let folder = (output as NSString).deletingLastPathComponent
    let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return fsync(descriptor) == 0
  }
}
