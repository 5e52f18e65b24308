import Foundation
import TestSupport
import Testing

@testable import FileIO

/// A file's SHA-256 in the background, alone and hashed beside a write's, against the one in
/// line.
@Suite(.serialized) struct FileSHA256Tests {
  /// A file of `count` deterministic bytes in `dir`.
  private func file(_ dir: TemporaryDirectory, _ name: String, count: Int, seed: UInt8) -> String {
    dir.write(name, (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 11)) })
  }

  /// More than the pieces read ahead, ending in a partial block.
  @Test func aloneItEqualsTheInlineHash() throws {
    let dir = TemporaryDirectory()
    let path = file(dir, "a", count: (FileSHA256.piecesAhead + 1) * FileSHA256.pieceBytes + 13, seed: 1)
    #expect(try FileSHA256(path).value() == SHA256Stream.file(path))
  }

  /// A write's hash open first, fed pieces of odd sizes: the file's pieces are hashed beside
  /// them, and both digests are each stream's own.
  @Test func besideAWritesHashBothDigestsAreRight() throws {
    let dir = TemporaryDirectory()
    let path = file(dir, "f", count: 9 * FileSHA256.pieceBytes / 2 + 7, seed: 2)
    let write = BackgroundSHA256()
    let hash = FileSHA256(path)
    var inline = SHA256Stream()
    let data = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 13)) }
    var at = 0
    for size in [(1 << 20) + 5, 3 << 20, 64, (2 << 20) - 1, 5 << 20] {
      data[at..<(at + size)].withUnsafeBytes {
        write.update($0)
        inline.update($0)
      }
      at += size
    }
    #expect(write.hex() == inline.hex())
    #expect(try hash.value() == SHA256Stream.file(path))
    #expect(hash.bytesPaired > 0, "no piece of the file was hashed beside the write")
  }

  @Test func aMissingFileIsAnErrorNamingIt() {
    let dir = TemporaryDirectory()
    #expect { try FileSHA256(dir.file("none")).value() } throws: {
      ($0 as? FileIOError)?.description.contains("none: does not exist") == true
    }
  }
}
