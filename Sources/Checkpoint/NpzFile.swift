import FileIO

/// One array of an `.npz` checkpoint: where it is and what its npy header says.
public struct NpyArrayInfo: Sendable, Equatable {
  /// The array's key: the member name without `.npy` (for example `head/kernel`), or the whole
  /// name for a member without the suffix, as `np.load` keys them.
  public let key: String
  /// The zip member name (`head/kernel.npy`), used in error messages.
  public let memberName: String
  /// The parsed npy header.
  public let header: NpyHeader
  /// The zip member as the archive's directory describes it.
  let member: ZipEntry

  /// How the member is compressed.
  public var compression: ZipCompression { member.compression }
  /// Bytes the member occupies in the file.
  public var compressedSize: Int { member.compressedSize }

  /// Element type.
  public var dtype: DType { header.dtype }
  /// Dimensions.
  public var shape: [Int] { header.shape }
  /// Number of elements.
  public var elementCount: Int { header.elementCount }
  /// Number of data bytes.
  public var byteCount: Int { header.dataByteCount }
}

/// An `.npz` checkpoint opened for reading.
///
/// Opening reads only the zip directory and each member's npy header, so it is near-instant
/// even for multi-gigabyte files; tensor data is read on demand, streamed in chunks or as a
/// whole tensor. Every size claim is checked before anything is allocated from it.
public final class NpzFile {
  /// The file's path.
  public let path: String
  /// Every array, in archive order.
  public let arrays: [NpyArrayInfo]
  private let archive: ZipArchive
  private let indexByKey: [String: Int]
  /// The chunk buffer ``forEachChunk(of:chunkSize:_:)`` reuses from tensor to tensor (a fresh
  /// one per tensor is fresh pages to fault in and zero: tens of milliseconds per checkpoint).
  private var chunkBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
  private var streaming = false

  /// The largest tensor ``readFloats(_:)`` and ``readData(_:)`` will hold in memory.
  public static let maxInMemoryBytes = 4 << 30

  /// Opens `path` and reads its directory and npy headers.
  public convenience init(path: String) throws {
    try self.init(archive: try ZipArchive(path: path))
  }

  /// Reads a checkpoint held in memory; `name` stands for its path in errors.
  public convenience init(bytes: [UInt8], name: String) throws {
    try self.init(archive: try ZipArchive(bytes: bytes, name: name))
  }

  deinit { chunkBuffer.deallocate() }

  private init(archive: ZipArchive) throws {
    path = archive.path
    self.archive = archive
    // Check the whole directory before reading any member, so an overlapping-entry bomb is
    // refused without inflating anything.
    var entries: [(entry: ZipEntry, key: String)] = []
    var indexByKey: [String: Int] = [:]
    var occupied = 0
    for index in 0..<archive.entryCount {
      let entry = try archive.entry(at: index)
      let key = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
      if let other = indexByKey.updateValue(entries.count, forKey: key) {  // libzip refuses duplicate names
        throw CheckpointError(
          path: path, member: entry.name,
          reason: "gives the key '\(key)', as the member '\(entries[other].entry.name)' does")
      }
      occupied += entry.compressedSize + 30 + entry.name.utf8.count
      guard occupied <= archive.fileSize else {
        throw CheckpointError(
          path: path, member: entry.name,
          reason: "zip entries overlap or extend past the end of the file (possible zip bomb)")
      }
      entries.append((entry, key))
    }
    var arrays: [NpyArrayInfo] = []
    for (entry, key) in entries {
      let header = try Self.readHeader(archive: archive, entry: entry)
      arrays.append(
        NpyArrayInfo(
          key: key, memberName: entry.name, header: header, member: entry))
    }
    self.arrays = arrays
    self.indexByKey = indexByKey
  }

  /// Size of the file in bytes.
  public var fileSize: Int { archive.fileSize }

  /// The array stored under `key`, if any.
  public func array(_ key: String) -> NpyArrayInfo? { indexByKey[key].map { arrays[$0] } }

  private static func readHeader(archive: ZipArchive, entry: ZipEntry) throws -> NpyHeader {
    let reader = try archive.open(entry)
    let preamble = try reader.read(upTo: NpyHeader.preambleLength)
    do {
      let textRange = try NpyHeader.headerTextRange(preamble: preamble)
      guard textRange.upperBound <= entry.uncompressedSize else {
        throw FormatViolation("npy header is truncated (member holds \(entry.uncompressedSize) bytes)")
      }
      let rest = try reader.read(upTo: textRange.upperBound - preamble.count)
      let header = try NpyHeader.parse(preamble + rest)
      let (expected, overflow) = header.dataOffset.addingReportingOverflow(header.dataByteCount)
      guard !overflow, expected == entry.uncompressedSize else {
        let shape = header.shape.map(String.init).joined(separator: ", ")
        throw FormatViolation(
          "member holds \(entry.uncompressedSize - header.dataOffset) data bytes but its header describes \(header.dataByteCount) (\(header.dtype.rawValue), shape (\(shape)))"
        )
      }
      return header
    } catch let violation as FormatViolation {
      throw CheckpointError(path: archive.path, member: entry.name, reason: violation.reason)
    }
  }

  /// Calls `body` with the array's data bytes in C order and stored byte order, in chunks of
  /// at most `chunkSize` bytes (whole elements), then checks the member's CRC-32.
  ///
  /// The default chunk is ``streamingChunkBytes``, small enough to stay in cache while the
  /// caller checksums and writes it.
  ///
  /// C-order arrays are streamed, so memory stays at one chunk; a Fortran-order array is read
  /// whole and reordered first.
  public func forEachChunk(
    of array: NpyArrayInfo, chunkSize: Int = streamingChunkBytes,
    _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    if array.header.fortranOrder {
      let data = try readData(array)
      try data.withUnsafeBytes { try body($0) }
      return
    }
    precondition(!streaming, "\(path): forEachChunk called from its own body")
    streaming = true
    defer { streaming = false }
    let reader = try openData(array)
    let step = max(array.dtype.itemSize, chunkSize - chunkSize % array.dtype.itemSize)
    let wanted = min(step, max(array.byteCount, 1))
    if chunkBuffer.count < wanted {
      chunkBuffer.deallocate()
      chunkBuffer = .allocate(byteCount: wanted, alignment: 64)
    }
    let buffer = UnsafeMutableRawBufferPointer(rebasing: chunkBuffer[0..<wanted])
    var remaining = array.byteCount
    while remaining > 0 {
      let n = min(buffer.count, remaining)
      let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
      try reader.readExactly(into: chunk)
      try body(UnsafeRawBufferPointer(chunk))
      remaining -= n
    }
    try reader.finish()
  }

  /// Reads the array's data bytes in C order and stored byte order, checking the CRC-32.
  public func readData(_ array: NpyArrayInfo) throws -> [UInt8] {
    guard array.byteCount <= Self.maxInMemoryBytes else {
      throw CheckpointError(
        path: path, member: array.memberName,
        reason: "tensor of \(array.byteCount) bytes exceeds the \(Self.maxInMemoryBytes >> 30) GiB limit for one tensor"
      )
    }
    let reader = try openData(array)
    var bytes = [UInt8](repeating: 0, count: array.byteCount)
    try bytes.withUnsafeMutableBytes { (raw) in try reader.readExactly(into: raw) }
    try reader.finish()
    if array.header.fortranOrder {
      bytes = AxisOrder.fortranToC(bytes, shape: array.shape, itemSize: array.dtype.itemSize)
    }
    return bytes
  }

  /// Reads the array and converts it to `Float`, in C order.
  public func readFloats(_ array: NpyArrayInfo) throws -> [Float] {
    let bytes = try readData(array)
    return bytes.withUnsafeBytes { ElementConversion.floats($0, type: array.dtype, order: array.header.byteOrder) }
  }

  private func openData(_ array: NpyArrayInfo) throws -> ZipEntryReader {
    let reader = try archive.open(array.member)
    let skip = UnsafeMutableRawBufferPointer.allocate(byteCount: array.header.dataOffset, alignment: 8)
    defer { skip.deallocate() }
    try reader.readExactly(into: skip)
    return reader
  }
}
