import Foundation

/// The hidden file `.STEM.unverified` beside an output (``SiblingNames``), which says that a
/// batch is converting the output to verify it, or verifying it, and has not settled it yet.
///
/// A batch marks the output (durably) before it converts or verifies it, and clears its mark
/// once the verification has settled the output either way. A conversion verifies its export
/// before the commit, so a run killed in between leaves the mark beside the output as it was
/// (nothing, or an older export), or beside the new export when killed after its commit and
/// before clearing the mark: either way the next run verifies what is there instead of
/// skipping it as done.
///
/// Marks are written and removed under the output's lock (``OutputLock``), and each records who
/// made it: a run clears only its own mark, and only while no process is writing the output,
/// so a mark another run put there for an output it is converting is never lost.
public struct PendingVerification: Sendable {
  /// The output marked.
  public let output: String
  /// What the mark file holds: its maker's host and process, and a number no other mark has.
  private let identity: [UInt8]

  /// Marks `output` as awaiting verification, replacing another run's mark: the mark is on
  /// disk when this returns.
  ///
  /// - Throws: ``FileIOError`` when another process is writing the output, or the mark cannot
  ///   be written or synced.
  public static func mark(_ output: String) throws(FileIOError) -> PendingVerification {
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count - 1)
    let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let text = "\(name)\t\(getpid())\t\(UInt64.random(in: 1...UInt64.max))\n"
    let mark = PendingVerification(output: output, identity: Array(text.utf8))
    let lock = try mark.lock()
    defer { Self.release(lock) }
    try mark.write()
    return mark
  }

  /// Whether the mark of `output` is still this one: no other run has marked the output since.
  public func isStillMarked() -> Bool {
    guard let lock = try? lock() else { return false }
    defer { Self.release(lock) }
    return isMine()
  }

  /// Whether `output` is marked as awaiting verification (by any run).
  public static func isMarked(_ output: String) -> Bool {
    var info = stat()
    return lstat(markPath(output), &info) == 0 && info.st_mode & S_IFMT == S_IFREG
  }

  /// Removes this mark, unless another run has marked the output since or is writing it now
  /// (its mark then stands for it).
  public func clear() {
    guard let lock = try? lock() else { return }
    defer { Self.release(lock) }
    if isMine() { unlink(Self.markPath(output)) }
  }

  /// Whether the mark file holds this mark (read under the lock).
  private func isMine() -> Bool {
    let descriptor = open(Self.markPath(output), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard descriptor >= 0 else { return false }
    var held = [UInt8](repeating: 0, count: identity.count + 1)
    let count = held.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    return count == identity.count && Array(held.prefix(count)) == identity
  }

  /// Releases the output's lock, keeping its lock file when that records temporaries a killed
  /// holder left (the next writer of the output, or beside it, removes them).
  private static func release(_ lock: OutputLock) {
    if lock.recordedTemporaries.isEmpty { lock.release() } else { lock.releaseKeepingRecords() }
  }

  /// The output's lock, or an error when another process holds it.
  private func lock() throws(FileIOError) -> OutputLock {
    let (folder, stem) = SiblingNames.place(of: output)
    guard let lock = try OutputLock.acquire(folder: folder, stem: stem, output: output) else {
      throw FileIOError(path: output, reason: "another process is writing it")
    }
    return lock
  }

  /// Writes the mark file (replacing any) and syncs it and its folder. (Cut short by a kill,
  /// it is a mark still, of no run: never cleared, so the output is verified again.) A mark
  /// this call created and could not write is removed; one it replaced stays, cut short, as the
  /// mark of no run.
  private func write() throws(FileIOError) {
    let path = Self.markPath(output)
    // Non-blocking: a FIFO under the mark's name is refused, not waited on.
    let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
    var created = true
    var descriptor = open(path, flags | O_EXCL, 0o644)
    if descriptor < 0, errno == EEXIST {
      created = false
      descriptor = open(path, flags | O_TRUNC, 0o644)
    }
    let failure = { (reason: String) in
      FileIOError(
        path: output,
        reason: "cannot mark it as awaiting verification (\((path as NSString).lastPathComponent)): \(reason)")
    }
    guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw failure("it is not a file") }
    let written = identity.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress!, $0.count) }
    if written >= 0, written < identity.count { errno = ENOSPC }
    guard written == identity.count, fsync(descriptor) == 0,
      AtomicOutput.synchronize(SiblingNames.place(of: output).folder)
    else {
      let reason = String(cString: strerror(errno))
      if created { unlink(path) }
      throw failure(reason + (created ? "" : " (the mark that was there stays, cut short, as the mark of no run)"))
    }
  }

  private static func markPath(_ output: String) -> String {
    let (folder, stem) = SiblingNames.place(of: output)
    return folder + "/" + SiblingNames.pendingVerification(stem: stem)
  }
}
