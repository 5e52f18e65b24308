import CLibzip
import FileIO
import Foundation

/// Sequential reader of one member's uncompressed bytes.
protocol ZipEntryReader {
  /// Fills `buffer` completely, or throws if the member ends first.
  func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws
  /// Reads up to `count` bytes; fewer only at the end of the member.
  func read(upTo count: Int) throws -> [UInt8]
  /// Confirms the member ends here and its CRC-32 matches.
  func finish() throws
}

/// Reads a stored member straight from the archive's bytes, its CRC-32 computed as it goes
/// (``CRC32``, by carry-less folding: about six times zlib's speed here, and zlib's CRC inside
/// libzip was a tenth of a conversion's CPU time).
final class StoredEntryReader: ZipEntryReader {
  /// Kept open (its descriptor or its bytes in memory) while this reads.
  private let archive: ZipArchive
  private let member: String
  private let start: Int
  private let size: Int
  private let expectedCRC: UInt32
  private var position = 0
  private var crc: UInt32 = 0

  /// A reader of the `size` bytes at `start` of `archive` whose CRC-32 should be `crc`.
  init(archive: ZipArchive, member: String, start: Int, size: Int, crc: UInt32) {
    self.archive = archive
    self.member = member
    self.start = start
    self.size = size
    expectedCRC = crc
  }

  func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws {
    guard buffer.count <= size - position else {
      throw CheckpointError(
        path: archive.path, member: member,
        reason: "data ends after \(size - position) of \(buffer.count) expected bytes")
    }
    try fill(buffer)
  }

  func read(upTo count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: min(count, size - position))
    try bytes.withUnsafeMutableBytes { try fill($0) }
    return bytes
  }

  func finish() throws {
    guard position == size else {
      throw CheckpointError(
        path: archive.path, member: member, reason: "member holds more data than its header describes")
    }
    guard crc == expectedCRC else {
      throw CheckpointError(path: archive.path, member: member, reason: "CRC-32 mismatch: the member's data is corrupt")
    }
  }

  private func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
    var filled = 0
    while filled < buffer.count {
      let n = archive.read(
        into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: start + position + filled)
      if n < 0 {
        throw CheckpointError(
          path: archive.path, member: member, reason: "cannot read member: \(String(cString: strerror(errno)))")
      }
      if n == 0 {
        throw CheckpointError(path: archive.path, member: member, reason: "data is truncated (the archive ends early)")
      }
      filled += n
    }
    crc = CRC32.checksum(UnsafeRawBufferPointer(buffer), continuing: crc)
    position += filled
  }
}

/// Reads a member through libzip, which inflates it if needed.
///
/// libzip verifies the CRC-32 when the stream reaches its end, so ``finish()`` reads past the
/// last byte to trigger that check and to detect data longer than declared.
final class LibzipEntryReader: ZipEntryReader {
  private let file: OpaquePointer
  private let path: String
  private let member: String

  init(file: OpaquePointer, path: String, member: String) {
    self.file = file
    self.path = path
    self.member = member
  }

  deinit { zip_fclose(file) }

  /// Fills `buffer` completely, or throws if the member ends first.
  func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws {
    var filled = 0
    while filled < buffer.count {
      let n = zip_fread(file, buffer.baseAddress! + filled, zip_uint64_t(buffer.count - filled))
      if n < 0 { throw failure() }
      if n == 0 {
        throw CheckpointError(
          path: path, member: member,
          reason: "data ends after \(filled) of \(buffer.count) expected bytes")
      }
      filled += Int(n)
    }
  }

  /// Reads up to `count` bytes; fewer only at the end of the member.
  func read(upTo count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = bytes.withUnsafeMutableBytes { zip_fread(file, $0.baseAddress! + filled, zip_uint64_t(count - filled)) }
      if n < 0 { throw failure() }
      if n == 0 { break }
      filled += Int(n)
    }
    return Array(bytes.prefix(filled))
  }

  /// Confirms the member ends here and its CRC-32 matches.
  func finish() throws {
    var extra: UInt8 = 0
    let n = zip_fread(file, &extra, 1)
    if n < 0 { throw failure() }
    if n > 0 {
      throw CheckpointError(path: path, member: member, reason: "member holds more data than its header describes")
    }
  }

  private func failure() -> CheckpointError {
    let error = zip_file_get_error(file)
    let reason: String
    switch zip_error_code_zip(error) {
    case ZIP_ER_CRC: reason = "CRC-32 mismatch: the member's data is corrupt"
    case ZIP_ER_ZLIB: reason = "corrupt deflate stream"
    case ZIP_ER_EOF, ZIP_ER_READ: reason = "data is truncated (the archive ends early)"
    case ZIP_ER_INCONS: reason = "member data is inconsistent with its zip headers"
    default: reason = "cannot read member: \(String(cString: zip_error_strerror(error)))"
    }
    return CheckpointError(path: path, member: member, reason: reason)
  }
}
