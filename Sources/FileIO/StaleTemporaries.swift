import Foundation

/// Temporaries left beside outputs by processes that ended without removing them (`kill -9`,
/// a crash, a second interrupt): removed by the next run that writes in the same folder. A
/// temporary is removed only when its output's lock file records it (``OutputLock``): a
/// user's file or folder that merely has a temporary's name is never touched. One recorded
/// with an inode that another folder now has under its name holds a displaced output its
/// writer had not checked yet (killed around the exchange): removed, by its names, only when
/// the caller's `displacedRefusal` accepts it as an export, and kept otherwise (a user's file
/// was in it). One recorded as a checked displaced output loses the entries checked. What is
/// kept is named in ``OutputNotices``.
public enum StaleTemporaries {
  /// Removes from `folder` every temporary recorded in the lock `held` (the caller's) and, for
  /// every other output whose lock file a killed holder left (``OutputLock/holdsOnlyRecords(folder:stem:)``)
  /// and no process holds, those it records, and the lock file; only temporaries of processes
  /// that no longer run.
  static func remove(
    in folder: String, holding held: OutputLock, stem heldStem: String, displacedRefusal: ((String) -> String?)?
  ) {
    removeDead(held.recordedTemporaries, in: folder, displacedRefusal)
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for stem in entries.compactMap(SiblingNames.parseLock).sorted() where stem != heldStem {
      removeLeftovers(in: folder, stem: stem, output: folder + "/" + stem, displacedRefusal)
    }
  }

  /// Removes what a killed writer of `output` left beside it (the temporaries its lock file
  /// records), when that lock file is there and no process holds it; best effort (in a folder
  /// that cannot be written they stay). For runs that only read or skip the output: a run that
  /// writes it does this anyway.
  public static func removeLeftovers(of output: String, displacedRefusal: ((String) -> String?)?) {
    let (folder, stem) = SiblingNames.place(of: output)
    removeLeftovers(in: folder, stem: stem, output: output, displacedRefusal)
  }

  /// The temporaries the lock file of `stem` in `folder` records, when a killed holder left it
  /// (``OutputLock/holdsOnlyRecords(folder:stem:)``) and no process holds it now, then the lock file.
  private static func removeLeftovers(
    in folder: String, stem: String, output: String, _ displacedRefusal: ((String) -> String?)?
  ) {
    guard OutputLock.holdsOnlyRecords(folder: folder, stem: stem),
      let lock = try? OutputLock.acquire(folder: folder, stem: stem, output: output)
    else { return }
    removeDead(lock.recordedTemporaries, in: folder, displacedRefusal)
    lock.release()
  }

  /// Whether process `pid` no longer runs: gone, or a zombie its parent has not reaped (in a
  /// container whose first process does not reap, a killed writer stays one for good).
  private static func hasEnded(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let name = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: name)...].first { $0 != " " }
    return state == "Z" || state == "X"
  }

  /// Removes each of `records` in `folder` whose process no longer runs (see above).
  private static func removeDead(
    _ records: [OutputLock.RecordedTemporary], in folder: String, _ displacedRefusal: ((String) -> String?)?
  ) {
    for record in records {
      guard let (stem, pid) = SiblingNames.parseTemporary(record.name), pid != getpid(), hasEnded(pid) else {
        continue
      }
      let path = folder + "/" + record.name
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      guard let inode = record.inode, UInt64(info.st_ino) != inode else {
        // The killed writer's temporary, or the displaced output it had checked.
        if let displaced = record.displaced {
          OutputNotices.shared.postKept(
            AtomicOutput.removeFolder(path, entries: displaced),
            "put in the old \(folder)/\(stem) while a run that was killed replaced it", in: path)
        } else {
          try? FileManager.default.removeItem(atPath: path)
        }
        continue
      }
      // The displaced output.
      guard info.st_mode & S_IFMT == S_IFDIR, let displacedRefusal, displacedRefusal(path) == nil else {
        OutputNotices.shared.post(
          "\(path) is kept: a run killed while it replaced \(folder)/\(stem) left what was there before, and it "
            + "holds more than an export; move out what you need, then remove it")
        continue
      }
      AtomicOutput.removeFolder(path, entries: AtomicOutput.entries(of: path))
    }
  }
}
