import FileIO
import Foundation

/// A regular file mapped read-only into memory, unmapped when this object goes.
///
/// Opening never blocks (a FIFO or device is refused after `fstat`, before anything is read)
/// and never maps more than `limit` bytes.
final class MappedFile {
  /// The file's path.
  let path: String
  /// The whole file, valid while this object lives.
  let bytes: UnsafeRawBufferPointer

  /// Maps `path`.
  ///
  /// - Throws: ``ExportFileError`` when the file cannot be opened, is not a regular file, is
  ///   larger than `limit`, or cannot be mapped.
  init(path: String, limit: Int = Int.max) throws {
    self.path = path
    let (fd, size): (Int32, Int)
    do { (fd, size) = try RegularFile.open(path) } catch { throw ExportFileError(path: path, reason: error.reason) }
    defer { close(fd) }
    guard size <= limit else {
      throw ExportFileError(path: path, reason: "has \(size) bytes, more than the \(limit) allowed")
    }
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != MAP_FAILED else {
      throw ExportFileError(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit { if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) } }
}
