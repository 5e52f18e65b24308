/// Where each member's local header is, read from the archive's central directory (PKWARE
/// APPNOTE 4.3.12–4.3.16, with the zip64 records and extra field), in directory order, which
/// is libzip's member index.
///
/// It lets stored members be read straight from the file (``StoredEntryReader``) and is only
/// that: libzip has already opened and checked the archive, and whatever this reading does not
/// expect (no end record where it should be, a zip64 field missing, a record past its
/// directory) makes it nil, so every member is read through libzip instead.
struct ZipDirectory {
  struct Record {
    let name: [UInt8]
    let compressedSize: Int
    let localHeaderOffset: Int
  }

  let records: [Record]

  /// Directories larger than this are left to libzip rather than read in one piece.
  static let maxBytes = 64 << 20

  init?(_ source: ArchiveBytes, fileSize: Int) {
    let tailLength = min(fileSize, 22 + 0xFFFF)
    guard let tail = source.bytes(at: fileSize - tailLength, count: tailLength) else { return nil }
    // The end record: the last signature whose comment runs exactly to the end of the file.
    var endAt: Int?
    var i = tail.count - 22
    while i >= 0, endAt == nil {
      if tail.u32(i) == 0x0605_4B50, let comment = tail.u16(i + 20), i + 22 + comment == tail.count { endAt = i }
      i -= 1
    }
    guard let endAt, var count = tail.u16(endAt + 10), var size = tail.u32(endAt + 12),
      var offset = tail.u32(endAt + 16)
    else { return nil }
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
      let locatorAt = fileSize - tailLength + endAt - 20
      guard locatorAt >= 0, let locator = source.bytes(at: locatorAt, count: 20), locator.u32(0) == 0x0706_4B50,
        let recordAt = locator.u64(8), let record = source.bytes(at: recordAt, count: 56),
        record.u32(0) == 0x0606_4B50, let count64 = record.u64(32), let size64 = record.u64(40),
        let offset64 = record.u64(48)
      else { return nil }
      (count, size, offset) = (count64, size64, offset64)
    }
    guard size <= Self.maxBytes, count <= size / 46, offset <= fileSize - size,
      let directory = source.bytes(at: offset, count: size)
    else { return nil }
    var records: [Record] = []
    records.reserveCapacity(count)
    var at = 0
    for _ in 0..<count {
      guard directory.u32(at) == 0x0201_4B50, let compressed = directory.u32(at + 20),
        let uncompressed = directory.u32(at + 24), let nameLength = directory.u16(at + 28),
        let extraLength = directory.u16(at + 30), let commentLength = directory.u16(at + 32),
        var local = directory.u32(at + 42)
      else { return nil }
      let nameAt = at + 46
      let extraAt = nameAt + nameLength
      let next = extraAt + extraLength + commentLength
      guard next <= directory.count else { return nil }
      // The zip64 extra field holds the 64-bit values of the 32-bit fields set to all ones, in
      // the order uncompressed size, compressed size, offset.
      let extra = extraAt..<(extraAt + extraLength)
      let uncompressedSkip = uncompressed == 0xFFFF_FFFF ? 8 : 0
      var compressedSize = compressed
      if compressed == 0xFFFF_FFFF {
        guard let value = Self.zip64Field(directory, extra, skip: uncompressedSkip) else { return nil }
        compressedSize = value
      }
      if local == 0xFFFF_FFFF {
        let skip = uncompressedSkip + (compressed == 0xFFFF_FFFF ? 8 : 0)
        guard let value = Self.zip64Field(directory, extra, skip: skip) else { return nil }
        local = value
      }
      guard local < fileSize else { return nil }
      records.append(
        Record(name: Array(directory[nameAt..<extraAt]), compressedSize: compressedSize, localHeaderOffset: local))
      at = next
    }
    self.records = records
  }

  /// The 64-bit value `skip` bytes into the zip64 extra field (ID 1) among `fields`.
  private static func zip64Field(_ bytes: [UInt8], _ fields: Range<Int>, skip: Int) -> Int? {
    var at = fields.lowerBound
    while at + 4 <= fields.upperBound, let id = bytes.u16(at), let length = bytes.u16(at + 2) {
      if id == 1 { return skip + 8 <= length && at + 4 + length <= fields.upperBound ? bytes.u64(at + 4 + skip) : nil }
      at += 4 + length
    }
    return nil
  }

  /// Where the data of member `index` begins, when the directory's record names `name` and
  /// gives it `size` bytes (as libzip's does), the local header at the recorded offset is one
  /// and names it too, and the `size` bytes from there lie within the file.
  func dataStart(of index: Int, name: [UInt8], size: Int, in source: ArchiveBytes, fileSize: Int) -> Int? {
    guard index < records.count, records[index].name == name, records[index].compressedSize == size else {
      return nil
    }
    let at = records[index].localHeaderOffset
    guard let header = source.bytes(at: at, count: 30 + name.count), header.u32(0) == 0x0403_4B50,
      let nameLength = header.u16(26), let extraLength = header.u16(28), nameLength == name.count,
      Array(header[30...]) == name
    else { return nil }
    let start = at + 30 + nameLength + extraLength
    return start <= fileSize && size <= fileSize - start ? start : nil
  }
}

/// Little-endian fields of a byte array, nil past its end.
extension [UInt8] {
  fileprivate func u16(_ at: Int) -> Int? {
    guard at >= 0, at + 2 <= count else { return nil }
    return Int(self[at]) | Int(self[at + 1]) << 8
  }

  fileprivate func u32(_ at: Int) -> Int? {
    guard let low = u16(at), let high = u16(at + 2) else { return nil }
    return low | high << 16
  }

  fileprivate func u64(_ at: Int) -> Int? {
    guard let low = u32(at), let high = u32(at + 4), high < 0x8000_0000 else { return nil }
    return low | high << 32
  }
}
