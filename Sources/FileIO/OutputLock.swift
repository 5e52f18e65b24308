import Foundation

/// An exclusive `flock` on the lock file `.STEM.lock` beside an output, held while the output is
/// written and committed, so that two writers of one output never both proceed.
///
/// The lock file is removed while the lock is still held; a writer that opened the file just
/// before that finds, once it holds the lock, that the name no longer leads to its file, and
/// starts over.
///
/// The holder records in the lock file the name of each temporary before it creates it, and
/// the folder's inode before it exchanges it with an existing output (``record(_:inode:of:)``).
/// A holder that is killed leaves the file behind with those records, and the next holder
/// finds them in ``recordedTemporaries``: only temporaries recorded so are ever removed as
/// leftovers, never a user's file that merely has a temporary's name.
final class OutputLock {
  /// A temporary recorded in the lock file: its name in the lock's folder and, once it may
  /// have been exchanged with an existing output, the inode it had before (a different one
  /// under that name then is the displaced output, not the temporary); once the displaced
  /// output was checked, its inode and the `displaced` entries the check accepted.
  struct RecordedTemporary: Equatable {
    let name: String
    let inode: UInt64?
    let displaced: [String]?
  }

  /// The lock file.
  let path: String
  private var descriptor: Int32 = -1
  /// Temporaries a holder before this one recorded and did not remove (it was killed), read
  /// when the lock was taken: the last record of each name.
  private(set) var recordedTemporaries: [RecordedTemporary] = []

  /// The most of a lock file read back: thousands of names, from as many killed runs.
  static let maxRecordBytes = 1 << 20

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
        lock.recordedTemporaries = lock.readRecords().filter { SiblingNames.parseTemporary($0.name)?.stem == stem }
        return lock
      }
      close(descriptor)  // removed by its previous holder meanwhile: take the new one
    }
  }

  /// Adds the temporary `name` (in the lock's folder) to the lock file: before it is created;
  /// with its `inode` before it is exchanged; with the displaced output's inode and entries
  /// once they are checked. A failure names `output`.
  func record(
    _ name: String, inode: UInt64? = nil, displaced: [String]? = nil, of output: String
  ) throws(FileIOError) {
    var fields = [name]
    if let inode { fields.append(String(inode)) }
    if let displaced { fields += ["displaced"] + displaced }
    let line = Array((fields.joined(separator: "\t") + "\n").utf8)
    let end = lseek(descriptor, 0, SEEK_END)
    let written = line.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, end) }
    guard end >= 0, written == line.count else {
      throw FileIOError.system(output, "cannot write the lock file beside it")
    }
  }

  /// Whether the lock file of `stem` in `folder` is one a holder of this kind left: a regular
  /// file, not empty, every line of it a record of a temporary. (Read without the lock: a file
  /// another program locks under such a name is never taken.)
  static func holdsOnlyRecords(folder: String, stem: String) -> Bool {
    let descriptor = open(folder + "/" + SiblingNames.lock(stem: stem), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= maxRecordBytes,
      let lines = recordLines(descriptor)
    else { return false }
    return lines.allSatisfy { line in
      let name = String(decoding: line.prefix { $0 != UInt8(ascii: "\t") }, as: UTF8.self)
      return SiblingNames.parseTemporary(name) != nil
    }
  }

  /// The lines of the lock file open as `descriptor` (its first ``maxRecordBytes``), or nil
  /// when it is empty or cannot be read.
  private static func recordLines(_ descriptor: Int32) -> [ArraySlice<UInt8>]? {
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_size > 0 else { return nil }
    var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), maxRecordBytes))
    let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return nil }
    return bytes[..<count].split(separator: UInt8(ascii: "\n"))
  }

  /// The records in the lock file, one a line (`NAME`, `NAME<tab>INODE`, or that followed by
  /// `<tab>displaced` and a tab before each entry; at most ``maxRecordBytes`` of them), the
  /// last of each name.
  private func readRecords() -> [RecordedTemporary] {
    guard let lines = Self.recordLines(descriptor) else { return [] }
    var records: [RecordedTemporary] = []
    for line in lines {
      let text = String(decoding: line, as: UTF8.self)
      let parts = text.split(separator: "\t", omittingEmptySubsequences: false)
      let inode = parts.count >= 2 ? UInt64(parts[1]) : nil
      let displaced = inode != nil && parts.count >= 3 && parts[2] == "displaced" ? parts[3...].map(String.init) : nil
      let record =
        inode == nil
        ? RecordedTemporary(name: text, inode: nil, displaced: nil)
        : RecordedTemporary(name: String(parts[0]), inode: inode, displaced: displaced)
      records.removeAll { $0.name == record.name }
      records.append(record)
    }
    return records
  }

  /// Releases the lock but keeps the lock file, whose records then tell the next holder (or a
  /// writer beside it) what to remove; ``release()`` then does nothing.
  func releaseKeepingRecords() {
    guard descriptor >= 0 else { return }
    close(descriptor)
    descriptor = -1
  }

  /// Removes the lock file and releases the lock (once; later calls do nothing).
  func release() {
    guard descriptor >= 0 else { return }
    unlink(path)
    releaseKeepingRecords()
  }

  deinit { release() }
}
