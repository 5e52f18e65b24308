import Foundation

/// An exclusive `flock` on the lock file `.STEM.lock` beside an output, held while the output is
/// written and committed, so that two writers of one output never both proceed.
///
/// The lock file is removed while the lock is still held; a writer that opened the file just
/// before that finds, once it holds the lock, that the name no longer leads to its file, and
/// starts over.
final class OutputLock {
  /// The lock file.
  let path: String
  private var descriptor: Int32 = -1

  private init(path: String) { self.path = path }

  /// Takes the lock of the output whose sibling names have stem `stem` in `folder`.
  ///
  /// - Returns: nil when another process holds it.
  /// - Throws: ``FileIOError`` naming `output` when the lock file cannot be created.
  static func acquire(folder: String, stem: String, output: String) throws(FileIOError) -> OutputLock? {
    let lock = OutputLock(path: folder + "/" + SiblingNames.lock(stem: stem))
    while true {
      let descriptor = open(lock.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
      guard descriptor >= 0 else { throw FileIOError.system(output, "cannot create the lock file beside it") }
      if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
        close(descriptor)
        guard errno == EWOULDBLOCK || errno == EINTR else { throw FileIOError.system(output, "cannot lock it") }
        return nil
      }
      var held = stat()
      var named = stat()
      if fstat(descriptor, &held) == 0, lstat(lock.path, &named) == 0, held.st_dev == named.st_dev,
        held.st_ino == named.st_ino
      {
        lock.descriptor = descriptor
        return lock
      }
      close(descriptor)  // removed by its previous holder meanwhile: take the new one
    }
  }

  /// Removes the lock file and releases the lock (once; later calls do nothing).
  func release() {
    guard descriptor >= 0 else { return }
    unlink(path)
    close(descriptor)
    descriptor = -1
  }

  deinit { release() }
}
