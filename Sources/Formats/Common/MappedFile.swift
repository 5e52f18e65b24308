import CSupport
import FileIO
import Foundation

/// A regular file mapped read-only into memory, unmapped when this object goes.
///
/// Opening never blocks (a FIFO or device is refused after `fstat`, before anything is read)
/// and never maps more than `limit` bytes. The mapping is registered by its path
/// (`csupport_register_mapping`), so that a read of it after another program truncated the file
/// is reported naming the file (see `csupport_report_bus_errors`), not a crash.
final class MappedFile {
  /// The file's path.
  let path: String
  /// The whole file, valid while this object lives.
  let bytes: UnsafeRawBufferPointer
  /// Its slot among the registered mappings (-1: none).
  private let registration: Int32

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
      registration = -1
      return
    }
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != MAP_FAILED else {
      throw ExportFileError(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
    registration = csupport_register_mapping(address, size, path)
  }

  deinit {
    csupport_unregister_mapping(registration)
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }
}
