import CSupport
import Foundation

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// A buffered, append-only writer to a new file, which can also patch bytes it already wrote
/// (zip local headers carry a CRC that is known only after the data).
///
/// Every write first checks for an interrupt (``Interruption/check()``), so a signal stops a
/// long output within one buffer's worth of work.
public final class FileWriter {
  /// The file being written.
  public let path: String
  /// The name errors give it: the file's place in the finished output rather than its
  /// temporary path.
  private let reportedPath: String
  private let fd: Int32
  private var buffer: [UInt8] = []
  private let bufferLimit = 1 << 20
  /// Bytes written so far, including those still buffered.
  public private(set) var offset: Int = 0
  /// Bytes handed to the kernel, and how many of them it was asked to start writing to disk.
  private var flushedBytes = 0
  private var writebackStarted = 0
  /// How much the kernel gathers before it is asked to start writing: the final fsync then
  /// waits for at most this much (plus what the disk has not caught up with).
  private static let writebackStep = 8 << 20
  /// The data's path to disk while it bypasses the page cache (see ``DirectWrites``); nil
  /// when not asked for, refused by the file system, or after the first flush.
  private var direct: DirectWrites?

  /// The SHA-256 of every byte written, when asked for: computed on another thread from the
  /// direct writes' own buffers, or from copies once the data goes through the page cache.
  private let digest: BackgroundSHA256?

  /// Whether the data now goes past the page cache.
  var isBypassingPageCache: Bool { direct != nil }

  /// Creates `path`, which must not exist yet.
  ///
  /// - Parameters:
  ///   - reportedPath: the path errors name (default: `path`), such as where the file will be
  ///     once its output is committed.
  ///   - bypassingPageCache: write the data with `O_DIRECT` from a background thread until the
  ///     first ``flush()`` (for a large file written once, start to end: ``patch(_:at:)`` and
  ///     writes after a flush go through the page cache), where the file system allows it.
  ///   - hashing: compute the SHA-256 of the bytes written, for ``sha256()`` (such a file
  ///     cannot be patched).
  public init(
    creating path: String, reportingAs reportedPath: String? = nil, bypassingPageCache: Bool = false,
    hashing: Bool = false
  ) throws {
    self.path = path
    self.reportedPath = reportedPath ?? path
    try Interruption.check()
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileIOError.system(self.reportedPath, "cannot create file") }
    digest = hashing ? BackgroundSHA256() : nil
    if bypassingPageCache {
      direct = DirectWrites(path: path, reportedPath: self.reportedPath, alsoConsuming: digest?.consumer)
    }
    if direct == nil { buffer.reserveCapacity(bufferLimit) }
  }

  deinit { close(fd) }

  /// Appends bytes.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    try Interruption.check()
    guard bytes.count > 0 else { return }
    if let direct {
      try direct.append(bytes)
      offset += bytes.count
      return
    }
    offset += bytes.count
    digest?.update(bytes)
    if buffer.count + bytes.count <= bufferLimit {
      buffer.append(contentsOf: bytes)
      return
    }
    try flush()
    if bytes.count >= bufferLimit {
      try writeAll(bytes)
    } else {
      buffer.append(contentsOf: bytes)
    }
  }

  /// Appends bytes.
  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { (raw) in try write(raw) }
  }

  /// Overwrites bytes at an earlier offset (which must already be flushed or buffered).
  public func patch(_ bytes: [UInt8], at position: Int) throws {
    precondition(digest == nil, "\(reportedPath): a hashed file patched")
    try flush()
    let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(position)) }
    guard written == bytes.count else { throw FileIOError.system(reportedPath, "cannot write") }
  }

  /// Writes out buffered bytes.
  public func flush() throws {
    if let direct {
      // The bytes after the last whole block go through the page cache, and so does
      // everything after them: the descriptor's position moves to the end.
      self.direct = nil
      let tail = try direct.finish()
      tail.withUnsafeBytes { digest?.update($0) }
      let written = tail.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset - tail.count)) }
      guard written == tail.count, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
        throw FileIOError.system(reportedPath, "cannot write")
      }
      flushedBytes = offset
      writebackStarted = offset
      return
    }
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { (raw) in try writeAll(raw) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// The SHA-256 of every byte written, as 64 lowercase hex digits (after a flush); nothing
  /// may be written after it.
  public func sha256() throws -> String {
    guard let digest else { preconditionFailure("\(reportedPath): sha256() of a file created without hashing") }
    try flush()
    return digest.hex()
  }

  /// Flushes and asks the kernel to put the data on disk.
  public func synchronize() throws {
    try flush()
    guard fsync(fd) == 0 else { throw FileIOError.system(reportedPath, "cannot sync") }
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        if errno == EFAULT, let source = csupport_mapped_file_containing(bytes.baseAddress! + done, bytes.count - done)
        {
          // The bytes came from a mapped file that another program truncated: its fault.
          throw FileIOError(path: String(cString: source), reason: CSUPPORT_TRUNCATED_MAPPING_REASON)
        }
        throw FileIOError.system(reportedPath, "cannot write")
      }
      done += n
    }
    flushedBytes += bytes.count
    if flushedBytes - writebackStarted >= Self.writebackStep {
      csupport_start_writeback(fd, Int64(writebackStarted), Int64(flushedBytes - writebackStarted))
      writebackStarted = flushedBytes
    }
  }
}
