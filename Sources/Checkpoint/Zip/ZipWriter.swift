import CZlib
import FileIO

/// Writes a zip archive member by member, streaming each member's data.
///
/// The layout matches what numpy's `savez` produces: every local header carries a zip64
/// extra field with the real sizes (its 32-bit fields hold `0xFFFFFFFF`), and the central
/// directory switches to zip64 only where a size or offset needs it. Timestamps are fixed at
/// 1980-01-01 00:00 so the same content gives the same bytes.
final class ZipWriter {
  private struct Record {
    let name: [UInt8]
    let method: UInt16
    let crc: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    let localHeaderOffset: Int
  }

  private let file: FileWriter
  private var records: [Record] = []
  private static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1
  private static let versionNeeded: UInt16 = 45

  init(file: FileWriter) { self.file = file }

  /// Adds a member of `size` uncompressed bytes; `produce` must hand exactly that many bytes
  /// to the sink it receives.
  func addMember(
    name: String, size: Int, compression: ZipCompression,
    produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  ) throws {
    let nameBytes = Array(name.utf8)
    let headerOffset = file.offset
    let method: UInt16 = compression == .stored ? 0 : 8
    var header = ByteBuffer()
    header.u32(0x0403_4B50)
    header.u16(Self.versionNeeded)
    header.u16(Self.flags(for: nameBytes))
    header.u16(method)
    header.u16(0)
    header.u16(Self.dosDate)
    header.u32(0)  // CRC-32, patched below
    header.u32(0xFFFF_FFFF)
    header.u32(0xFFFF_FFFF)
    header.u16(UInt16(nameBytes.count))
    header.u16(20)
    header.bytes(nameBytes)
    header.u16(0x0001)
    header.u16(16)
    header.u64(UInt64(size))
    header.u64(0)  // compressed size, patched below
    try file.write(header.data)

    var crc: UInt32 = 0
    var written = 0
    let dataStart = file.offset
    if compression == .stored {
      try produce { chunk in
        crc = CRC32.checksum(chunk, continuing: crc)
        written += chunk.count
        try self.file.write(chunk)
      }
    } else {
      let deflater = try Deflater()
      try produce { chunk in
        crc = CRC32.checksum(chunk, continuing: crc)
        written += chunk.count
        try deflater.compress(chunk, finish: false) { try self.file.write($0) }
      }
      try deflater.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try self.file.write($0) }
    }
    precondition(written == size, "zip member \(name): produced \(written) bytes, declared \(size)")
    let compressedSize = file.offset - dataStart
    var crcBytes = ByteBuffer()
    crcBytes.u32(crc)
    try file.patch(crcBytes.data, at: headerOffset + 14)
    var sizeBytes = ByteBuffer()
    sizeBytes.u64(UInt64(compressedSize))
    try file.patch(sizeBytes.data, at: headerOffset + 30 + nameBytes.count + 12)
    records.append(
      Record(
        name: nameBytes, method: method, crc: crc, compressedSize: compressedSize,
        uncompressedSize: size, localHeaderOffset: headerOffset))
  }

  /// Writes the central directory and the end records.
  func finish() throws {
    let directoryOffset = file.offset
    let limit = 0xFFFF_FFFF
    for record in records {
      var extra = ByteBuffer()
      if record.uncompressedSize >= limit { extra.u64(UInt64(record.uncompressedSize)) }
      if record.compressedSize >= limit { extra.u64(UInt64(record.compressedSize)) }
      if record.localHeaderOffset >= limit { extra.u64(UInt64(record.localHeaderOffset)) }
      var entry = ByteBuffer()
      entry.u32(0x0201_4B50)
      entry.u16(3 << 8 | Self.versionNeeded)
      entry.u16(Self.versionNeeded)
      entry.u16(Self.flags(for: record.name))
      entry.u16(record.method)
      entry.u16(0)
      entry.u16(Self.dosDate)
      entry.u32(record.crc)
      entry.u32(UInt32(min(record.compressedSize, limit)))
      entry.u32(UInt32(min(record.uncompressedSize, limit)))
      entry.u16(UInt16(record.name.count))
      entry.u16(extra.data.isEmpty ? 0 : UInt16(extra.data.count + 4))
      entry.u16(0)
      entry.u16(0)
      entry.u16(0)
      entry.u32(0o600 << 16)
      entry.u32(UInt32(min(record.localHeaderOffset, limit)))
      entry.bytes(record.name)
      if !extra.data.isEmpty {
        entry.u16(0x0001)
        entry.u16(UInt16(extra.data.count))
        entry.bytes(extra.data)
      }
      try file.write(entry.data)
    }
    let directorySize = file.offset - directoryOffset
    var end = ByteBuffer()
    if records.count >= 0xFFFF || directoryOffset >= limit || directorySize >= limit {
      let zip64EndOffset = file.offset
      end.u32(0x0606_4B50)
      end.u64(44)
      end.u16(3 << 8 | Self.versionNeeded)
      end.u16(Self.versionNeeded)
      end.u32(0)
      end.u32(0)
      end.u64(UInt64(records.count))
      end.u64(UInt64(records.count))
      end.u64(UInt64(directorySize))
      end.u64(UInt64(directoryOffset))
      end.u32(0x0706_4B50)
      end.u32(0)
      end.u64(UInt64(zip64EndOffset))
      end.u32(1)
    }
    end.u32(0x0605_4B50)
    end.u16(0)
    end.u16(0)
    end.u16(UInt16(min(records.count, 0xFFFF)))
    end.u16(UInt16(min(records.count, 0xFFFF)))
    end.u32(UInt32(min(directorySize, limit)))
    end.u32(UInt32(min(directoryOffset, limit)))
    end.u16(0)
    try file.write(end.data)
  }

  /// Bit 11 marks UTF-8 names; pure ASCII names leave it clear, as Python's zipfile does.
  private static func flags(for name: [UInt8]) -> UInt16 { name.contains { $0 >= 0x80 } ? 0x800 : 0 }
}

/// A raw-deflate compressor over zlib.
private final class Deflater {
  private var stream = z_stream()
  private var output = [UInt8](repeating: 0, count: 1 << 18)

  init() throws {
    guard czlib_deflate_init_raw(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else {
      throw FileIOError(path: "", reason: "cannot initialise deflate")
    }
  }

  deinit { deflateEnd(&stream) }

  func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
    var offset = 0
    repeat {
      let n = min(input.count - offset, 1 << 30)
      stream.next_in =
        n > 0
        ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
        : nil
      stream.avail_in = uInt(n)
      offset += n
      let last = finish && offset == input.count
      var status: Int32
      repeat {
        status = output.withUnsafeMutableBytes { out in
          stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
          stream.avail_out = uInt(out.count)
          return deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
        }
        let produced = output.count - Int(stream.avail_out)
        if produced > 0 { try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
      } while stream.avail_out == 0 || (last && status != Z_STREAM_END)
    } while offset < input.count
  }
}

/// Little-endian field serialisation for zip records.
struct ByteBuffer {
  private(set) var data: [UInt8] = []
  mutating func u16(_ v: UInt16) { data.append(UInt8(v & 0xFF)); data.append(UInt8(v >> 8)) }
  mutating func u32(_ v: UInt32) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
  mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
  mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
}
