import CLibzip
import FileIO
import Foundation

/// How a zip member's data is stored.
public enum ZipCompression: String, Sendable, Codable {
  case stored
  case deflate
}

/// One member of a zip archive, as its central-directory entry describes it.
struct ZipEntry: Sendable {
  let index: Int
  let name: String
  let uncompressedSize: Int
  let compressedSize: Int
  let compression: ZipCompression
}

/// A zip archive opened read-only through libzip.
///
/// Sizes come from the central directory (numpy's local headers hold zip64 placeholders).
/// Opening checks that local and central headers agree (`ZIP_CHECKCONS`) and that the file
/// looks like a zip at all, so an HTML page saved as `.npz` gets a message that says so.
final class ZipArchive {
  let path: String
  let fileSize: Int
  private let handle: OpaquePointer
  /// The archive's bytes when it was opened from memory (libzip reads them in place).
  private let storage: UnsafeMutableRawBufferPointer?

  /// Opens the regular file at `path` (a FIFO or device is refused without blocking); the
  /// same open file is what libzip reads.
  init(path: String) throws {
    self.path = path
    let descriptor: Int32
    do { (descriptor, fileSize) = try RegularFile.open(path) } catch {
      throw CheckpointError(path: path, reason: error.reason)
    }
    var head = [UInt8](repeating: 0, count: 16)
    let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, 0) }
    do { try Self.sniff(path: path, size: fileSize, head: Array(head.prefix(max(count, 0)))) } catch {
      close(descriptor)
      throw error
    }
    var code: Int32 = 0
    guard let handle = zip_fdopen(descriptor, ZIP_CHECKCONS, &code) else {
      close(descriptor)
      throw CheckpointError(path: path, reason: Self.openFailure(code: code))
    }
    self.handle = handle
    storage = nil
  }

  /// Opens an archive held in memory (a copy of `bytes` is kept); `name` stands for its path in
  /// errors.
  init(bytes: [UInt8], name: String) throws {
    path = name
    fileSize = bytes.count
    try Self.sniff(path: name, size: bytes.count, head: Array(bytes.prefix(16)))
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
    bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    var error = zip_error_t()
    zip_error_init(&error)
    defer { zip_error_fini(&error) }
    guard let source = zip_source_buffer_create(storage.baseAddress, zip_uint64_t(bytes.count), 0, &error) else {
      storage.deallocate()
      throw CheckpointError(path: name, reason: "zip archive cannot be read from memory")
    }
    guard let handle = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) else {
      zip_source_free(source)
      storage.deallocate()
      throw CheckpointError(path: name, reason: Self.openFailure(code: zip_error_code_zip(&error)))
    }
    self.handle = handle
    self.storage = storage
  }

  deinit {
    zip_discard(handle)
    storage?.deallocate()
  }

  /// Number of members in the central directory.
  var entryCount: Int { Int(zip_get_num_entries(handle, 0)) }

  /// Reads and checks the central-directory entry of member `index`.
  func entry(at index: Int) throws -> ZipEntry {
    var stat = zip_stat_t()
    zip_stat_init(&stat)
    guard zip_stat_index(handle, zip_uint64_t(index), zip_flags_t(ZIP_FL_ENC_RAW), &stat) == 0,
      let rawName = stat.name
    else {
      throw CheckpointError(path: path, reason: "cannot read zip entry \(index): \(libzipMessage())")
    }
    let nameBytes = Array(
      UnsafeBufferPointer(
        start: UnsafeRawPointer(rawName).assumingMemoryBound(to: UInt8.self),
        count: strlen(rawName)))
    guard let name = String(validating: nameBytes, as: UTF8.self) else {
      throw CheckpointError(path: path, reason: "zip entry \(index) has a name that is not UTF-8")
    }
    if let problem = Self.unsafeNameReason(name) {
      throw CheckpointError(path: path, member: name, reason: problem)
    }
    let compression: ZipCompression
    switch stat.comp_method {
    case 0: compression = .stored
    case 8: compression = .deflate
    default:
      throw CheckpointError(
        path: path, member: name,
        reason: "unsupported compression method \(stat.comp_method) (npz uses stored or deflate)")
    }
    guard stat.encryption_method == 0 else {
      throw CheckpointError(path: path, member: name, reason: "member is encrypted")
    }
    guard stat.size <= UInt64(Int.max), stat.comp_size <= UInt64(fileSize) else {
      throw CheckpointError(
        path: path, member: name,
        reason: "compressed size \(stat.comp_size) exceeds the file size \(fileSize)")
    }
    let entry = ZipEntry(
      index: index, name: name, uncompressedSize: Int(stat.size),
      compressedSize: Int(stat.comp_size), compression: compression)
    try checkSizes(entry)
    return entry
  }

  /// Deflate cannot expand data by more than about 1032:1; a larger claim is a zip bomb or
  /// a corrupt directory. Stored data must have equal sizes.
  private func checkSizes(_ entry: ZipEntry) throws {
    switch entry.compression {
    case .stored:
      guard entry.uncompressedSize == entry.compressedSize else {
        throw CheckpointError(
          path: path, member: entry.name,
          reason: "stored member declares \(entry.uncompressedSize) bytes but occupies \(entry.compressedSize)")
      }
    case .deflate:
      let (limit, overflow) = entry.compressedSize.multipliedReportingOverflow(by: 1032)
      guard overflow || entry.uncompressedSize <= limit + 1024 else {
        throw CheckpointError(
          path: path, member: entry.name,
          reason:
            "declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed bytes, beyond what deflate can produce (zip bomb?)"
        )
      }
    }
  }

  /// Opens a member for sequential reading of its uncompressed bytes.
  func open(_ entry: ZipEntry) throws -> ZipEntryReader {
    guard let file = zip_fopen_index(handle, zip_uint64_t(entry.index), 0) else {
      throw CheckpointError(path: path, member: entry.name, reason: "cannot open member: \(libzipMessage())")
    }
    return ZipEntryReader(file: file, path: path, member: entry.name)
  }

  private func libzipMessage() -> String {
    String(cString: zip_error_strerror(zip_get_error(handle)))
  }

  /// Tells "not a zip at all" apart from "a broken zip" by the first bytes.
  private static func sniff(path: String, size: Int, head: [UInt8]) throws {
    if size == 0 { throw CheckpointError(path: path, reason: "file is empty") }
    if head.starts(with: NpyHeader.magic) {
      throw CheckpointError(
        path: path, reason: "this is a single .npy array, not an .npz checkpoint (a zip of .npy members)")
    }
    let zipLocal: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    let zipEmpty: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
    if !head.starts(with: zipLocal) && !head.starts(with: zipEmpty) {
      let text = String(decoding: head, as: UTF8.self).lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
      let hint = text.hasPrefix("<") ? " (it looks like an HTML or XML page: was the download an error page?)" : ""
      throw CheckpointError(path: path, reason: "not an npz file: it is not a zip archive\(hint)")
    }
  }

  private static func openFailure(code: Int32) -> String {
    switch code {
    case ZIP_ER_NOZIP:
      return "truncated or corrupt zip archive (no valid end-of-central-directory record)"
    case ZIP_ER_INCONS:
      return "inconsistent zip archive (local and central headers disagree, or the directory is damaged)"
    case ZIP_ER_EXISTS:
      return "the archive holds two members with the same name"
    case ZIP_ER_MULTIDISK:
      return "multi-disk zip archives are not supported"
    case ZIP_ER_MEMORY:
      return "zip directory too large to read"
    default:
      var error = zip_error_t()
      zip_error_init_with_code(&error, code)
      defer { zip_error_fini(&error) }
      return "cannot open zip archive: \(String(cString: zip_error_strerror(&error)))"
    }
  }

  /// Why a member name is unsafe to treat as a key, or nil when it is fine.
  static func unsafeNameReason(_ name: String) -> String? {
    if name.isEmpty { return "member has an empty name" }
    if name.utf8.count > 4096 { return "member name is longer than 4096 bytes" }
    if name.hasPrefix("/") { return "member name is an absolute path" }
    if name.contains("\\") { return "member name contains a backslash" }
    if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "member name contains control characters"
    }
    if name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) {
      return "member name contains a '..' path component"
    }
    if name.hasSuffix("/") { return "member is a directory entry, not an array" }
    return nil
  }
}

/// Sequential reader of one member's uncompressed bytes.
///
/// libzip verifies the CRC-32 when the stream reaches its end, so ``finish()`` reads past the
/// last byte to trigger that check and to detect data longer than declared.
final class ZipEntryReader {
  private let file: OpaquePointer
  private let path: String
  private let member: String

  fileprivate init(file: OpaquePointer, path: String, member: String) {
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
