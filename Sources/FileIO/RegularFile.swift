import Foundation

/// Opening files that must be regular files: a FIFO, a device or a socket given as an input is
/// refused at once rather than blocking the program (`open` is non-blocking, then `fstat`
/// decides, before anything is read).
public enum RegularFile {
  /// Opens `path` for reading.
  ///
  /// - Returns: the descriptor (blocking, close-on-exec; the caller closes it) and the size.
  /// - Throws: ``FileIOError`` when the path does not exist, cannot be opened or is not a
  ///   regular file.
  public static func open(_ path: String) throws(FileIOError) -> (descriptor: Int32, size: Int) {
    let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard descriptor >= 0 else {
      if errno == ENOENT { throw FileIOError(path: path, reason: "does not exist") }
      throw FileIOError.system(path, "cannot open")
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      let error = FileIOError.system(path, "cannot read its status")
      close(descriptor)
      throw error
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(descriptor)
      let kind = (info.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "a FIFO, device or socket"
      throw FileIOError(path: path, reason: "is \(kind), not a regular file")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    return (descriptor, Int(info.st_size))
  }

  /// The size in bytes of the file at `path` (following a symbolic link), or nil when its
  /// status cannot be read. One `stat`: Foundation's file attributes also look up the owner's
  /// and group's names, three reads of /etc/passwd and /etc/group per file.
  public static func size(at path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
  }

  /// The whole content of the regular file at `path`.
  ///
  /// - Parameter limit: the largest size accepted, checked before anything is allocated.
  /// - Throws: ``FileIOError`` as ``open(_:)`` does, or when the file is larger than `limit`
  ///   or cannot be read.
  public static func read(_ path: String, limit: Int) throws(FileIOError) -> [UInt8] {
    let (descriptor, size) = try open(path)
    defer { close(descriptor) }
    guard size <= limit else {
      throw FileIOError(path: path, reason: "has \(size) bytes, more than the \(limit) accepted", exceededLimit: limit)
    }
    guard let bytes = read(descriptor, range: 0..<size) else { throw FileIOError.system(path, "cannot read") }
    return bytes
  }

  /// Reads into `buffer` from the position of the open file `descriptor`, as far as one `read`
  /// goes (retried when interrupted): the count, 0 at the end, -1 on failure (`errno` says why).
  public static func readNext(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
    while true {
      let n = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
      if n < 0, errno == EINTR { continue }
      return n
    }
  }

  /// The bytes of `range` of the open file `descriptor` (`pread`, retried when interrupted);
  /// fewer when the file ends first, nil when reading fails (`errno` says why).
  public static func read(_ descriptor: Int32, range: Range<Int>) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: range.count)
    var filled = 0
    while filled < range.count {
      let count = bytes.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress! + filled, range.count - filled, off_t(range.lowerBound + filled))
      }
      if count < 0, errno == EINTR { continue }
      guard count >= 0 else { return nil }
      if count == 0 { break }
      filled += count
    }
    return filled == range.count ? bytes : Array(bytes.prefix(filled))
  }
}
