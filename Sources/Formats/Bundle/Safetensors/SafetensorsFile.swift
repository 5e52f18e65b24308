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
  private let file: MappedFile
  private let dataStart: Int

  /// Opens and validates `path`.
  ///
  /// - Throws: ``ExportFileError`` naming the file (and the tensor, where the problem is in one).
  public init(path: String) throws {
    self.path = path
    file = try MappedFile(path: path)
    fileSize = file.bytes.count
    do {
      let (length, entries, metadata) = try SafetensorsHeader.decode(file.bytes, fileSize: fileSize)
      var byName: [String: SafetensorsEntry] = [:]
      for entry in entries { byName[entry.name] = entry }
      self.entries = byName
      self.metadata = metadata
      dataStart = 8 + length
    } catch {
      throw ExportFileError(path: path, reason: error.reason)
    }
  }

  /// The raw little-endian bytes of a tensor, valid while this object lives.
  public func bytes(of name: String) -> UnsafeRawBufferPointer? {
    guard let entry = entries[name] else { return nil }
    return UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
  }

  /// The whole file's bytes, valid while this object lives.
  public var fileBytes: UnsafeRawBufferPointer { file.bytes }
}

extension SafetensorsFile {
  /// Checks the file against what `document` records of it: its size, and (with `checksums`)
  /// its SHA-256, whose mismatch the error explains with `meaning`.
  func check(size: Int, sha256: String, checksums: Bool, recordedIn document: String, meaning: String) throws {
    guard fileSize == size else {
      throw ExportFileError(path: path, reason: "has \(fileSize) bytes, \(document) says \(size)")
    }
    guard checksums else { return }
    var digest = SHA256Stream()
    digest.update(fileBytes)
    guard digest.hex() == sha256 else {
      throw ExportFileError(path: path, reason: "SHA-256 does not match \(document): \(meaning)")
    }
  }
}
