import CSupport
import Crypto
import Foundation

/// An incremental SHA-256 (BoringSSL through swift-crypto, using the CPU's SHA extensions).
public struct SHA256Stream {
  private var hasher = SHA256()

  public init() {}

  /// Adds bytes.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

  /// The digest as 64 lowercase hex digits.
  public func hex() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }

  /// SHA-256 of a whole file, read in ``streamingChunkBytes`` pieces with `read(2)`
  /// (Foundation's `FileHandle` reads in 4 KB pieces, tens of thousands of system calls for a
  /// checkpoint).
  public static func file(_ path: String) throws -> String {
    let (fd, _) = try RegularFile.open(path)
    defer { close(fd) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: streamingChunkBytes, alignment: 64)
    defer { chunk.deallocate() }
    var stream = SHA256Stream()
    while true {
      let n = read(fd, chunk.baseAddress, chunk.count)
      if n < 0, errno == EINTR { continue }
      guard n >= 0 else { throw FileIOError.system(path, "cannot read for hashing") }
      if n == 0 { break }
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
