import CSupport
import Foundation

/// An output file or folder that appears under its final name only when complete, and never
/// destroys what was there before unless it replaces it whole.
///
/// The protocol, from creation to commit:
/// 1. The lock: an exclusive `flock` on `.NAME.lock` beside the output (``OutputLock``), held
///    until the output is committed or abandoned, so two writers of one output never both
///    proceed; the second is refused at once.
/// 2. Leftovers: temporaries of processes that no longer run, recorded in their lock files,
///    are removed from the folder (``StaleTemporaries``).
/// 3. The temporary sibling `.NAME.tmp-PID-N` (same folder, so renames are atomic) is
///    recorded in the lock file, then created, and everything is written into it. (It is
///    registered with the ``TemporaryRegistry`` before the lock file is created.)
/// 4. ``commit(madeOf:)``: the temporary is flushed to disk, then renamed into place in one atomic
///    step: without replacing (an output that appeared meanwhile is never overwritten), by
///    `rename` over an existing file, or for a folder by exchanging the two names
///    (`renameat2` `RENAME_EXCHANGE`), after which the old output is under the temporary's
///    name and is removed — unless the owner's `displacedRefusal` now finds in it what the
///    owner did not write (a file put there while the output was being written): then the
///    names are exchanged back and the commit fails. The folder is flushed after the rename.
///
/// So at every instant the final name holds either the complete old output or the complete new
/// one. If the writer fails, or the value is dropped without committing, the temporary is
/// removed; a SIGINT, SIGTERM or SIGHUP is handled as ``TemporaryRegistry`` describes; after a
/// `kill -9` the next run writing beside it removes what is left.
public final class AtomicOutput {
  /// The path the output will have when committed.
  public private(set) var finalPath: String
  /// The final path as the caller gave it, for errors.
  private var shownPath: String
  /// The temporary sibling being written.
  public let temporaryPath: String
  /// Its name in ``folder``, as the lock file records it.
  private let temporaryName: String
  /// The temporary's path beside the final path as the caller gave it, for notices.
  private var shownTemporaryPath: String { shownSibling(temporaryName) }

  /// The path of `name` beside the final path as the caller gave it.
  private func shownSibling(_ name: String) -> String {
    let given = (shownPath as NSString).deletingLastPathComponent
    return given.isEmpty ? name : given + "/" + name
  }
  private let folder: String
  private let isDirectory: Bool
  private let replacing: Bool
  private let lock: OutputLock
  private let displacedRefusal: ((String) -> String?)?
  private var finished = false

  /// Takes the output's lock and prepares a temporary sibling for `finalPath` (a folder is
  /// created; a file is left for the caller to create at ``temporaryPath``).
  ///
  /// - Parameters:
  ///   - finalPath: where the output should end up.
  ///   - isDirectory: create a folder (a bundle) rather than a file.
  ///   - replacing: allow an existing output to be replaced (the `--force` flag).
  ///   - displacedRefusal: for a folder, why the existing folder it replaces must not be
  ///     removed (given its path), or nil when it may; asked at the commit of the folder as it
  ///     is then, after the exchange.
  /// - Throws: ``FileIOError`` when the output exists and `replacing` is false, exists as the
  ///   other kind or as a symbolic link, is being written by another process, or when its
  ///   folder cannot be written; ``Interrupted`` after a signal.
  public init(
    finalPath: String, isDirectory: Bool, replacing: Bool, displacedRefusal: ((String) -> String?)? = nil
  ) throws {
    let url = URL(fileURLWithPath: finalPath).standardizedFileURL
    self.finalPath = url.path
    shownPath = finalPath
    self.isDirectory = isDirectory
    self.replacing = replacing
    self.displacedRefusal = displacedRefusal
    folder = url.deletingLastPathComponent().path
    // Found now, not at the commit after all the work: no file system takes a longer name.
    let nameBytes = url.lastPathComponent.utf8.count
    guard nameBytes <= Self.maxNameBytes else {
      throw FileIOError(
        path: finalPath,
        reason: "its name is \(nameBytes) bytes long, more than the \(Self.maxNameBytes) a file name may have; "
          + "choose a shorter name")
    }
    var folderIsDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &folderIsDirectory) else {
      throw FileIOError(path: finalPath, reason: "the folder \(folder) does not exist")
    }
    guard folderIsDirectory.boolValue else {
      throw FileIOError(path: finalPath, reason: "\(folder) is a file, not a folder")
    }
    let stem = SiblingNames.stem(url.lastPathComponent)
    // A name nothing has: one left by a dead process whose PID this one now has is not ours.
    var name: String
    repeat {
      name = SiblingNames.temporary(stem: stem, pid: getpid(), serial: TemporaryRegistry.shared.nextSerial())
    } while Self.exists(folder + "/" + name)
    temporaryName = name
    temporaryPath = folder + "/" + name
    // Registered before anything is created (the lock file first), so that an interrupt from
    // here on waits for this thread to remove what it made.
    try TemporaryRegistry.shared.register(temporaryPath)
    do {
      guard let lock = try OutputLock.acquire(folder: folder, stem: stem, output: finalPath) else {
        throw FileIOError(path: finalPath, reason: "another process is writing it")
      }
      self.lock = lock
    } catch {
      TemporaryRegistry.shared.unregister(temporaryPath)
      throw error
    }
    do {
      try Self.refuseExisting(shownPath, isDirectory: isDirectory, replacing: replacing)
      StaleTemporaries.remove(in: folder, holding: lock, stem: stem, displacedRefusal: displacedRefusal)
      try lock.record(temporaryName, of: finalPath)
      if isDirectory, mkdir(temporaryPath, 0o755) != 0 {
        throw FileIOError.system(finalPath, "cannot create a folder beside it")
      }
    } catch {
      abandon()
      throw error
    }
  }

  deinit { abandon() }

  /// The longest file name, in bytes (`NAME_MAX`).
  public static let maxNameBytes = 255

  /// Path of a file inside the temporary folder (directory outputs only).
  public func temporaryPath(of name: String) -> String { temporaryPath + "/" + name }

  /// Creates the file `name` inside the temporary folder (directory outputs only); its errors
  /// name it where it will be once committed. The options are ``FileWriter``'s.
  public func createFile(_ name: String, bypassingPageCache: Bool = false, hashing: Bool = false) throws -> FileWriter {
    try FileWriter(
      creating: temporaryPath(of: name), reportingAs: finalPath + "/" + name, bypassingPageCache: bypassingPageCache,
      hashing: hashing)
  }

  /// Writes the whole file `name` inside the temporary folder and syncs it to disk (directory
  /// outputs only: the commit syncs the folder, not the files in it).
  public func writeFile(_ name: String, _ bytes: [UInt8]) throws {
    let file = try createFile(name)
    try file.write(bytes)
    try file.synchronize()
  }

  /// Refuses an existing output at `path` unless it may be replaced (`replacing`), one of the
  /// other kind, a symbolic link, a device, FIFO or socket, and for a file a path ending in
  /// `/`: what creating an output there would refuse, for a caller that wants to know before it
  /// does any work.
  public static func refuseExisting(_ path: String, isDirectory: Bool, replacing: Bool) throws(FileIOError) {
    if !isDirectory, path.hasSuffix("/") {
      throw FileIOError(path: path, reason: "ends with /, which names a folder, but this output is a file; drop the /")
    }
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    let kind = info.st_mode & S_IFMT
    guard kind != S_IFLNK else {
      throw FileIOError(path: path, reason: "is a symbolic link; remove it, or name the path it leads to")
    }
    guard kind == S_IFREG || kind == S_IFDIR else {
      throw FileIOError(
        path: path, reason: "is \(Self.noun(kind)), not a file an output can replace; choose another output")
    }
    // The other kind first: replacing would not help, so it is not suggested.
    if (kind == S_IFDIR) != isDirectory {
      throw FileIOError(
        path: path, reason: "already exists as \(kind == S_IFDIR ? "a folder" : "a file"); remove it first")
    }
    guard replacing else { throw FileIOError(path: path, reason: "already exists", remedy: .replaceOutput) }
  }

  /// Moves the finished output into place under another name in the same folder (one that
  /// depends on what was written, such as a data file named by its content's hash). The lock
  /// stays the one taken for the name given at creation.
  public func commit(as name: String) throws {
    precondition(!name.contains("/"), "commit(as:) takes a name in the same folder")
    finalPath = folder + "/" + name
    shownPath = shownSibling(name)
    try commit()
  }

  /// Moves the finished output into place, replacing an existing one when allowed (see the
  /// protocol above). The temporary is synced to disk first — a file's data, a folder's entries
  /// (files inside a folder are each synced by their writer) — so a single-file writer need only
  /// flush. An interrupt that arrives during the commit takes effect after it.
  ///
  /// A replaced folder is checked once it is out of place: it must still be a folder, and
  /// the owner's `displacedRefusal` must accept it; otherwise the two are exchanged back. It
  /// is then removed entry by entry, by the names listed before that check, so that a file
  /// put into it afterwards is left (with the folder, under the temporary's name), not deleted.
  ///
  /// - Parameter parts: the paths of the other files the output consists of once in place (a
  ///   folder's files, a model's data file), for the identity returned.
  /// - Returns: the output's identity as this commit put it in place, made of it and `parts`
  ///   (``FileIdentity/init(of:madeOf:)``), taken before the lock is released, so that it is
  ///   this commit's output and not another writer's.
  /// - Throws: ``Interrupted`` when a signal arrived before the commit began (the output is
  ///   then abandoned by its owner); ``FileIOError`` when the output cannot be synced or moved,
  ///   or the displaced folder is refused (an existing output is then untouched).
  @discardableResult
  public func commit(madeOf parts: [String] = []) throws -> FileIdentity? {
    precondition(!finished, "output committed twice")
    try Interruption.check()
    guard Self.synchronize(temporaryPath) else { throw FileIOError.system(shownPath, "cannot sync the output to disk") }
    var info = stat()
    var displaced: [String]?
    if lstat(finalPath, &info) == 0 {
      guard replacing else {
        throw FileIOError(path: shownPath, reason: "appeared while it was being written", remedy: .replaceOutput)
      }
      if isDirectory {
        displaced = try exchangeWithExisting()
      } else {
        // Only a regular file is replaced: never a device, a FIFO, a link or a folder put there meanwhile.
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
          throw FileIOError(
            path: shownPath, reason: "became \(Self.noun(kind)) while it was being written; it is left as it is")
        }
        guard rename(temporaryPath, finalPath) == 0 else {
          throw FileIOError.system(shownPath, "cannot move the output into place")
        }
      }
    } else {
      try moveIntoPlaceWithoutReplacing()
    }
    finished = true
    _ = Self.synchronize(folder)
    if let displaced {
      OutputNotices.shared.postKept(
        Self.removeFolder(temporaryPath, entries: displaced), "put in the old output while this run wrote the new one",
        in: shownTemporaryPath, lead: "\(shownPath) is replaced, but ")
    }
    let identity = FileIdentity(of: finalPath, madeOf: [finalPath] + parts)
    lock.release()
    TemporaryRegistry.shared.unregister(temporaryPath)
    return identity
  }

  /// Exchanges the temporary folder with the existing output and checks what that displaced
  /// (now under the temporary's name). Returns its entries, to be removed; nil when the
  /// existing output was gone and the temporary simply moved into place.
  private func exchangeWithExisting() throws(FileIOError) -> [String]? {
    let written = Self.entries(of: temporaryPath)
    // Killed from here on, the next run tells the displaced output from this one by the inode.
    var own = stat()
    guard lstat(temporaryPath, &own) == 0 else { throw FileIOError.system(shownPath, "cannot find its temporary") }
    try lock.record(temporaryName, inode: UInt64(own.st_ino), of: shownPath)
    guard csupport_rename_exchange(temporaryPath, finalPath) == 0 else {
      // Gone meanwhile: then there is nothing to replace.
      if errno == ENOENT {
        try moveIntoPlaceWithoutReplacing()
        return nil
      }
      let atomic =
        errno == EINVAL || errno == ENOSYS || errno == ENOTSUP
        ? " (this file system cannot exchange two folders atomically: remove the old output first)" : ""
      throw FileIOError.system(shownPath, "cannot replace the existing output\(atomic)")
    }
    var info = stat()
    guard lstat(temporaryPath, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      try exchangeBack(
        "became a file or a symbolic link while it was being written; it is left as it is", written: written)
    }
    let displaced = Self.entries(of: temporaryPath)
    if let refusal = displacedRefusal?(temporaryPath) { try exchangeBack(refusal, written: written) }
    try lock.record(
      temporaryName, inode: UInt64(info.st_ino),
      displaced: displaced.filter { !$0.contains(where: { $0 == "\t" || $0 == "\n" }) }, of: shownPath)
    return displaced
  }

  /// Puts the displaced output back under the final name and the new output back under the
  /// temporary's, removes the new output's `written` entries and fails with `refusal`. (Killed
  /// between the two exchanges, the old output is under the temporary's name with an inode
  /// not recorded: the next run keeps it, the refusal being the same then.)
  private func exchangeBack(_ refusal: String, written: [String]) throws(FileIOError) -> Never {
    finished = true
    defer {
      lock.release()
      TemporaryRegistry.shared.unregister(temporaryPath)
    }
    guard csupport_rename_exchange(temporaryPath, finalPath) == 0 else {
      // The new output stays in place; the old one is kept, never removed.
      throw FileIOError.system(
        shownPath,
        "was replaced, but the old output could not be put back (it \(refusal)); it is kept as \(temporaryPath)")
    }
    OutputNotices.shared.postKept(
      Self.removeFolder(temporaryPath, entries: written), "put in the new \(shownPath) while it stood in place",
      in: shownTemporaryPath)
    throw FileIOError(path: shownPath, reason: refusal)
  }

  /// The names in the folder at `path` (none when it cannot be listed).
  static func entries(of path: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
  }

  /// Removes the folder at `path` by unlinking `entries`, then the folder itself when that
  /// left it empty: an entry not among them (or not a file) keeps the folder where it is.
  ///
  /// - Returns: the entries that keep it (none when it is gone).
  @discardableResult
  static func removeFolder(_ path: String, entries: [String]) -> [String] {
    for name in entries { unlink(path + "/" + name) }
    return rmdir(path) == 0 || errno == ENOENT ? [] : Self.entries(of: path).sorted()
  }

  /// Renames the temporary to the final name, failing if something appeared there.
  private func moveIntoPlaceWithoutReplacing() throws(FileIOError) {
    if csupport_rename_noreplace(temporaryPath, finalPath) == 0 { return }
    if errno == EEXIST || errno == ENOTEMPTY {
      throw FileIOError(path: shownPath, reason: "appeared while it was being written", remedy: .replaceOutput)
    }
    guard errno == EINVAL || errno == ENOSYS else {
      throw FileIOError.system(shownPath, "cannot move the output into place")
    }
    // The file system lacks the flag. A file: a hard link is created only where nothing is; a
    // folder: rename(2) never replaces a folder that holds anything.
    if isDirectory {
      guard rename(temporaryPath, finalPath) == 0 else {
        throw FileIOError.system(shownPath, "cannot move the output into place")
      }
    } else {
      guard link(temporaryPath, finalPath) == 0 else {
        throw FileIOError.system(shownPath, "cannot move the output into place")
      }
      unlink(temporaryPath)
    }
  }

  /// What a file of `kind` (`st_mode & S_IFMT`) is, with its article, for a refusal.
  public static func noun(_ kind: mode_t) -> String {
    switch kind {
    case S_IFCHR, S_IFBLK: "a device"
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    case S_IFLNK: "a symbolic link"
    case S_IFDIR: "a folder"
    default: "a file"
    }
  }

  /// Whether anything (a dangling link too) is at `path`.
  private static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  /// `fsync` of a file or folder by path; false with `errno` set when it fails.
  static func synchronize(_ path: String) -> Bool {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    let synced = fsync(descriptor) == 0
    let error = errno
    close(descriptor)
    errno = error
    return synced
  }

  /// Removes the existing output instead of replacing it. Under the lock it is renamed to the
  /// temporary's name (recorded in the lock file), so it leaves its name in one step, and then
  /// deleted; killed before the deletion ends, the next run writing in the folder removes what
  /// is left. Nothing at the final path: nothing to do. Takes the place of ``commit(madeOf:)``.
  ///
  /// - Parameter identity: when given, the output is removed only if it is still that file or
  ///   folder, unchanged (``FileIdentity/isUnchanged(from:)``; checked under the lock, so no
  ///   commit comes between): another process may have replaced the output the caller looked at.
  /// - Parameter parts: the files the output is made of, for comparing with `identity`
  ///   (``FileIdentity/init(of:madeOf:)``).
  /// - Parameter companions: files that belong to the output (an ONNX model's data file),
  ///   deleted after it while the lock is still held, so that no writer of the output can have
  ///   made new ones under their names meanwhile.
  /// - Returns: false when something else than `identity` is at the final path (left as it is).
  /// - Throws: ``FileIOError`` when the output cannot be moved away (it is then untouched), or
  ///   when part of it cannot be deleted (what is left, under the temporary's name, stays
  ///   recorded for the next run to remove), or a companion cannot be.
  @discardableResult
  public func removeExisting(
    ifStill identity: FileIdentity? = nil, madeOf parts: [String] = [], alongWith companions: [String] = []
  ) throws(FileIOError) -> Bool {
    precondition(!finished, "output committed or removed twice")
    if let identity, let present = FileIdentity(of: finalPath, madeOf: parts), !present.isUnchanged(from: identity) {
      abandon()
      return false
    }
    // A folder output's temporary is an empty folder, which the rename replaces.
    guard rename(finalPath, temporaryPath) == 0 else {
      let error = errno == ENOENT ? nil : FileIOError.system(shownPath, "cannot remove it")
      abandon()
      if let error { throw error }
      return true
    }
    finished = true
    _ = Self.synchronize(folder)
    defer { TemporaryRegistry.shared.unregister(temporaryPath) }
    do { try FileManager.default.removeItem(atPath: temporaryPath) } catch {
      lock.releaseKeepingRecords()
      let left = Self.entries(of: temporaryPath).sorted()
      throw FileIOError(
        path: shownPath,
        reason: "was moved to \(shownTemporaryPath) to be removed, but "
          + (left.isEmpty ? "that folder" : left.namedFiles) + " could not be deleted (the next run writing "
          + "beside it removes what is left)")
    }
    var kept: [String] = []
    var reason = ""
    for companion in companions where unlink(companion) != 0 && errno != ENOENT {
      reason = String(cString: strerror(errno))
      kept.append((companion as NSString).lastPathComponent)
    }
    lock.release()
    guard kept.isEmpty else {
      throw FileIOError(path: shownPath, reason: "was removed, but \(kept.namedFiles) could not be deleted: \(reason)")
    }
    return true
  }

  /// Removes the temporary output and releases the lock; the final path is left as it was.
  /// Does nothing after a commit.
  public func abandon() {
    guard !finished else { return }
    finished = true
    try? FileManager.default.removeItem(atPath: temporaryPath)
    lock.release()
    TemporaryRegistry.shared.unregister(temporaryPath)
  }
}
