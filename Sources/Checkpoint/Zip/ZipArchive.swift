import CLibzip
import FileIO
import Foundation

/// How a zip member's data is stored.
public enum ZipCompression: String, Sendable, Codable {
  case stored
  case deflate
}

/// One member of a zip archive, as its central-directory entry describes it.
struct ZipEntry: Sendable, Equatable {
  let index: Int
  let name: String
  let uncompressedSize: Int
  let compressedSize: Int
  let compression: ZipCompression
  /// The CRC-32 the directory records for the uncompressed data.
  let crc: UInt32
}

/// A zip archive opened read-only through libzip.
///
/// Sizes come from the central directory (numpy's local headers hold zip64 placeholders).
/// Opening checks that local and central headers agree (`ZIP_CHECKCONS`) and that the file
/// looks like a zip at all, so an HTML page saved as `.npz` gets a message that says so.
/// Stored members are read straight from the archive's bytes where ``ZipDirectory`` locates
/// them, the rest through libzip.
final class ZipArchive {
  let path: String
  let fileSize: Int
  private let handle: OpaquePointer
  /// The archive's bytes when it was opened from memory (libzip reads them in place).
  private let storage: UnsafeMutableRawBufferPointer?
  /// The archive's bytes for reading stored members: a second descriptor of the file (libzip
  /// owns the first), or `storage`.
  private let bytes: ArchiveBytes?
  /// The directory as ``ZipDirectory`` reads it, when it lists as many members as libzip's.
  private lazy var directory: ZipDirectory? = bytes.flatMap { bytes in
    ZipDirectory(bytes, fileSize: fileSize).flatMap { $0.records.count == entryCount ? $0 : nil }
  }

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
    let own = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
    var code: Int32 = 0
    guard let handle = zip_fdopen(descriptor, ZIP_CHECKCONS, &code) else {
      close(descriptor)
      if own >= 0 { close(own) }
      throw CheckpointError(path: path, reason: Self.openFailure(code: code))
    }
    self.handle = handle
    storage = nil
    bytes = own >= 0 ? .file(descriptor: own) : nil
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
    self.bytes = .memory(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
  }

  deinit {
    zip_discard(handle)
    storage?.deallocate()
    if case .file(let descriptor) = bytes { close(descriptor) }
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
    guard stat.valid & zip_uint64_t(ZIP_STAT_CRC) != 0 else {
      throw CheckpointError(path: path, member: name, reason: "zip entry records no CRC-32")
    }
    let entry = ZipEntry(
      index: index, name: name, uncompressedSize: Int(stat.size),
      compressedSize: Int(stat.comp_size), compression: compression, crc: stat.crc)
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
    if entry.compression == .stored, let bytes,
      let start = directory?.dataStart(
        of: entry.index, name: Array(entry.name.utf8), size: entry.compressedSize, in: bytes, fileSize: fileSize)
    {
      return StoredEntryReader(
        archive: self, member: entry.name, start: start, size: entry.uncompressedSize, crc: entry.crc)
    }
    guard let file = zip_fopen_index(handle, zip_uint64_t(entry.index), 0) else {
      throw CheckpointError(path: path, member: entry.name, reason: "cannot open member: \(libzipMessage())")
    }
    return LibzipEntryReader(file: file, path: path, member: entry.name)
  }

  /// Reads up to `buffer.count` bytes at `offset` of the archive (``ArchiveBytes/read(into:at:)``);
  /// only for archives whose stored members ``open(_:)`` reads directly.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    bytes!.read(into: buffer, at: offset)
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
