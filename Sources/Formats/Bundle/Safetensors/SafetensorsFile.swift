import Checkpoint
import FileIO
import Foundation

/// A safetensors file, memory-mapped and validated on opening (see ``SafetensorsHeader``).
public final class SafetensorsFile {
  /// The file's path.
  public let path: String
  /// Size of the file.
  public let fileSize: Int
  /// Tensors by name.
  public let entries: [String: SafetensorsEntry]
  /// The optional `__metadata__` strings.
  public let metadata: [String: String]
  private let mapping: UnsafeMutableRawPointer?
  private let dataStart: Int

  /// Opens and validates `path`.
  ///
  /// - Throws: ``ExportFileError`` naming the file (and the tensor, where the problem is in one).
  public init(path: String) throws {
    self.path = path
    let fd: Int32
    do { (fd, fileSize) = try RegularFile.open(path) } catch { throw ExportFileError(path: path, reason: error.reason) }
    defer { close(fd) }
    if fileSize > 0 {
      let address = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0)
      guard let address, address != MAP_FAILED else {
        throw ExportFileError(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
      }
      mapping = address
    } else {
      mapping = nil
    }
    do {
      let whole = UnsafeRawBufferPointer(start: mapping, count: fileSize)
      let (length, entries, metadata) = try SafetensorsHeader.decode(whole, fileSize: fileSize)
      var byName: [String: SafetensorsEntry] = [:]
      for entry in entries { byName[entry.name] = entry }
      self.entries = byName
      self.metadata = metadata
      dataStart = 8 + length
    } catch {
      if let mapping { munmap(mapping, fileSize) }
      throw ExportFileError(path: path, reason: error.reason)
    }
  }

  deinit { if let mapping { munmap(mapping, fileSize) } }

  /// The raw little-endian bytes of a tensor, valid while this object lives.
  public func bytes(of name: String) -> UnsafeRawBufferPointer? {
    guard let entry = entries[name] else { return nil }
    return UnsafeRawBufferPointer(start: mapping.map { $0 + dataStart + entry.begin }, count: entry.end - entry.begin)
  }

  /// The whole file's bytes, valid while this object lives.
  public var fileBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: mapping, count: fileSize) }
}
