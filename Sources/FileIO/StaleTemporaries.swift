import Foundation

/// Temporaries left beside outputs by processes that ended without removing them (`kill -9`,
/// a crash, a second interrupt): removed by the next run that writes in the same folder. A
/// temporary is removed only when its output's lock file records it (``OutputLock``): a
/// user's file or folder that merely has a temporary's name is never touched.
enum StaleTemporaries {
  /// Removes from `folder` every temporary recorded in the lock `held` (the caller's) and, for
  /// every other output with a temporary in the folder whose lock is free, those its lock
  /// records; only temporaries of processes that no longer run.
  static func remove(in folder: String, holding held: OutputLock, stem heldStem: String) {
    removeDead(held.recordedTemporaries, in: folder)
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    let stems = Set(entries.compactMap { SiblingNames.parseTemporary($0)?.stem }).subtracting([heldStem])
    for stem in stems.sorted() {
      guard let lock = try? OutputLock.acquire(folder: folder, stem: stem, output: folder + "/" + stem) else {
        continue
      }
      removeDead(lock.recordedTemporaries, in: folder)
      lock.release()
    }
  }

  /// Removes each of `names` in `folder` whose process no longer runs.
  private static func removeDead(_ names: [String], in folder: String) {
    for name in names {
      guard let (_, pid) = SiblingNames.parseTemporary(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      try? FileManager.default.removeItem(atPath: folder + "/" + name)
    }
  }
}
