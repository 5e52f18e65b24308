import CSupport
import Foundation

/// Appends a file's bytes with `O_DIRECT`: they are copied into aligned buffers, and a full
/// buffer is written on a background thread straight from memory to the device, without the
/// kernel copying it into the page cache and keeping per-page state (for a 240 MB file, 0.01
/// CPU-seconds instead of 0.07-0.11 for buffered writes here); the caller goes on meanwhile.
///
/// Only whole blocks are written this way; ``finish()`` hands back the bytes after the last
/// whole block for an ordinary write. A failed write is reported by the next ``append(_:)`` or
/// by ``finish()``. Durability still needs `fsync` (the device may cache the data).
final class DirectWrites {
  /// Bytes per buffer.
  static let bufferBytes = 1 << 20
  /// Buffers in flight: one being filled, the others waiting for or in their write.
  static let bufferCount = 3
  /// The alignment `O_DIRECT` asks of addresses, offsets and lengths (the largest logical
  /// block size in common use).
  static let alignment = 4096

  /// The descriptor and where the next buffer goes, touched on the ring's queue; closed when
  /// the last write is done (the queue's blocks hold it).
  private final class Target: @unchecked Sendable {
    let descriptor: Int32
    var offset = 0
    private let lock = NSLock()
    private var firstError: Int32 = 0

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// The `errno` of the first failed write, or 0.
    var error: Int32 { lock.withLock { firstError } }

    /// Writes `bytes` at the next offset (nothing once a write has failed).
    func write(_ bytes: UnsafeRawBufferPointer) {
      defer { offset += bytes.count }
      var done = 0
      while done < bytes.count, error == 0 {
        let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
        if n < 0, errno == EINTR { continue }
        if n <= 0 {
          let failure = n < 0 ? errno : EIO
          lock.withLock { if firstError == 0 { firstError = failure } }
          break
        }
        done += n
      }
    }
  }

  private let target: Target
  private let ring: StagingRing
  private let reportedPath: String

  /// Opens the new, still empty file at `path` a second time, with `O_DIRECT`; nil when the
  /// file system refuses it (tmpfs, some network file systems) or fails a first aligned write.
  /// `alsoConsuming` receives every whole buffer too, on a thread of its own (a hash of the
  /// bytes written, from the same buffers), but not the tail ``finish()`` returns.
  init?(path: String, reportedPath: String, alsoConsuming other: StagingRing.Consumer? = nil) {
    let descriptor = csupport_open_direct(path)
    guard descriptor >= 0 else { return nil }
    let target = Target(descriptor: descriptor)
    // Some file systems accept the flag and refuse the writes: try one block (the file is new
    // and empty, and every byte of it will be written again) before allocating the buffers.
    let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.alignment, alignment: Self.alignment)
    defer { probe.deallocate() }
    probe.initializeMemory(as: UInt8.self, repeating: 0)
    guard pwrite(descriptor, probe.baseAddress, Self.alignment, 0) == Self.alignment, ftruncate(descriptor, 0) == 0
    else { return nil }
    self.target = target
    self.reportedPath = reportedPath
    ring = StagingRing(
      label: "mixer-convert.direct-write", count: Self.bufferCount, bytes: Self.bufferBytes, alignment: Self.alignment,
      consumers: [{ target.write($0) }] + (other.map { [$0] } ?? []))
  }

  /// Appends bytes; they may be reused by the caller as soon as this returns.
  func append(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
    try checkWrites()
    ring.append(bytes)
  }

  /// Writes the whole blocks still staged, waits for every write, and returns the bytes after
  /// the last whole block (the file's last bytes), for the caller to write without `O_DIRECT`.
  ///
  /// - Throws: ``FileIOError`` when a write failed.
  func finish() throws(FileIOError) -> [UInt8] {
    let staged = ring.staged
    let whole = staged.count - staged.count % Self.alignment
    let tail = Array(staged[whole...])
    ring.drain(handingOver: whole)
    try checkWrites()
    return tail
  }

  private func checkWrites() throws(FileIOError) {
    let error = target.error
    guard error == 0 else {
      errno = error
      throw FileIOError.system(reportedPath, "cannot write")
    }
  }
}
