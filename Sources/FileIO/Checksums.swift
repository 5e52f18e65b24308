import CSupport
import Foundation

/// An incremental SHA-256 (CSupport's): on the x86 SHA extensions where the CPU has them
/// (which can also hash two streams at once, ``update(_:_:_:_:)``), in plain C elsewhere.
public struct SHA256Stream {
  /// Whether this CPU has the SHA extensions (only then can pairing two streams be worth it), checked once.
  static let accelerated = csupport_sha256_accelerated() != 0

  /// How many times faster two streams hash together on one thread (``update(_:_:_:_:)``) than
  /// one after the other: about 1.8 on Zen 4, 1.4 on Zen 5 and 1.2 on Emerald Rapids; 1 without
  /// the SHA extensions. Measured once, on 16 KiB per stream (in L1), the best of seven tries.
  static let pairSpeedup: Double = accelerated ? measuredPairSpeedup() : 1

  private static func measuredPairSpeedup() -> Double {
    let bytes = 16 << 10
    let data = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * bytes, alignment: 64)
    defer { data.deallocate() }
    for i in 0..<data.count { data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
    let (a, b) = (UnsafeRawBufferPointer(rebasing: data[..<bytes]), UnsafeRawBufferPointer(rebasing: data[bytes...]))
    func nanoseconds(_ work: () -> Void) -> UInt64 {
      let start = DispatchTime.now().uptimeNanoseconds
      work()
      return DispatchTime.now().uptimeNanoseconds - start
    }
    var (first, second) = (SHA256Stream(), SHA256Stream())
    var (oneAfterTheOther, together) = (UInt64.max, UInt64.max)
    for _ in 0..<7 {
      oneAfterTheOther = min(
        oneAfterTheOther,
        nanoseconds {
          first.update(a); second.update(b)
        })
      together = min(together, nanoseconds { update(&first, a, &second, b) })
    }
    return Double(oneAfterTheOther) / Double(max(1, together))
  }

  private var state = csupport_sha256()

  public init() { csupport_sha256_init(&state) }

  /// A SHA-256 in plain C whatever the CPU: the reference the accelerated path is tested against.
  static func portable() -> SHA256Stream {
    var stream = SHA256Stream()
    csupport_sha256_init_portable(&stream.state)
    return stream
  }

  /// Adds bytes.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count > 0 else { return }
    csupport_sha256_update(&state, bytes.baseAddress, bytes.count)
  }

  /// Adds `firstBytes` to `first` and `secondBytes` to `second`; with the SHA extensions, on
  /// this thread in about the time of the longer alone (the two streams' rounds interleave).
  public static func update(
    _ first: inout SHA256Stream, _ firstBytes: UnsafeRawBufferPointer, _ second: inout SHA256Stream,
    _ secondBytes: UnsafeRawBufferPointer
  ) {
    csupport_sha256_update_pair(
      &first.state, firstBytes.baseAddress, firstBytes.count, &second.state, secondBytes.baseAddress,
      secondBytes.count)
  }

  /// The digest as 64 lowercase hex digits.
  public func hex() -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    withUnsafePointer(to: state) { csupport_sha256_finish($0, &digest) }
    return digest.map { String(format: "%02x", $0) }.joined()
  }

  /// SHA-256 of `bytes`, as 64 lowercase hex digits.
  public static func hex(of bytes: [UInt8]) -> String {
    var stream = SHA256Stream()
    bytes.withUnsafeBytes { stream.update($0) }
    return stream.hex()
  }

  /// SHA-256 of a whole file, read in ``streamingChunkBytes`` pieces with `read(2)`
  /// (Foundation's `FileHandle` reads in 4 KB pieces, tens of thousands of system calls for a
  /// checkpoint). Throws ``Interrupted`` between pieces once a caught signal has arrived
  /// (``Interruption/check()``), so a batch hashing a large source stops within a piece.
  public static func file(_ path: String) throws -> String {
    let (fd, _) = try RegularFile.open(path)
    defer { close(fd) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: streamingChunkBytes, alignment: 64)
    defer { chunk.deallocate() }
    var stream = SHA256Stream()
    while true {
      let n = RegularFile.readNext(fd, into: chunk)
      guard n >= 0 else { throw FileIOError.system(path, "cannot read for hashing") }
      if n == 0 { break }
      try Interruption.check()
      stream.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
    }
    return stream.hex()
  }
}

/// CRC-32 as zip and zlib define it (the checksum of every zip member).
public enum CRC32 {
  /// The checksum of `bytes`, continuing from `crc` (0 to start).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress else { return crc }
    return csupport_crc32(crc, base, bytes.count)
  }
}

/// CRC-32C (Castagnoli), as TensorFlow's tensor bundles record per tensor.
public enum CRC32C {
  /// The checksum of `bytes`, continuing from `crc` (0 to start).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress else { return crc }
    return csupport_crc32c(crc, base, bytes.count)
  }

  /// `8 lowercase hex digits`.
  public static func hex(_ value: UInt32) -> String { String(format: "%08x", value) }
}
