import Foundation

/// Temporaries left beside outputs by processes that ended without removing them (`kill -9`,
/// a crash, a second interrupt): removed by the next run that writes in the same folder.
enum StaleTemporaries {
  /// Removes from `folder` every temporary `.STEM.tmp-PID-N` whose process no longer runs and
  /// whose output no one is writing: its lock is free, or is `held` by the caller.
  static func remove(in folder: String, holding held: String) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries {
      guard let (stem, pid) = SiblingNames.parseTemporary(entry), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      if stem == held {
        try? FileManager.default.removeItem(atPath: folder + "/" + entry)
      } else if let lock = try? OutputLock.acquire(folder: folder, stem: stem, output: folder + "/" + stem) {
        try? FileManager.default.removeItem(atPath: folder + "/" + entry)
        lock.release()
      }
    }
  }
}
