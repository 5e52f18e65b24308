import CSupport
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
    let path = file(dir, "a", count: (FileHashWork.piecesAhead + 1) * FileHashWork.pieceBytes + 13, seed: 1)
    #expect(try FileSHA256(path).value() == SHA256Stream.file(path))
  }

  /// A write's hash open first, fed pieces of odd sizes: on a board that pairs, the file's
  /// pieces are hashed beside them, on one that does not, each alone; both digests are each
  /// stream's own either way. The two are on a board of their own, so that no other test's
  /// hashes (suites run at once) take the write's bytes or the file's.
  @Test(arguments: [true, false]) func besideAWritesHashBothDigestsAreRight(pairs: Bool) throws {
    let dir = TemporaryDirectory()
    let path = file(dir, "f", count: 9 * FileHashWork.pieceBytes / 2 + 7, seed: 2)
    let data = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 13)) }
    let board = SHA256Pairing(pairs: pairs && SHA256Stream.accelerated)
    let write = BackgroundSHA256(pairingOn: board)
    let hash = FileSHA256(path, pairingOn: board)
    // The file's first piece is read before the write's bytes come; with the write open, the
    // reading thread hashes none itself, so that whole piece waits for the write's first
    // staged buffer (larger than a piece).
    hash.waitForFirstRead()
    var inline = SHA256Stream()
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
    // Without the SHA extensions nothing pairs (two streams one after the other gain nothing).
    #expect(
      board.pairs ? hash.bytesPaired >= FileHashWork.pieceBytes : hash.bytesPaired == 0,
      "bytes of the file hashed beside the write: \(hash.bytesPaired)")
  }

  /// The process's board pairs as its measured speedup says; the speedup is a ratio of times
  /// a CPU gives (two streams on one thread can neither take half of one's time nor much more
  /// than twice it), 1 without the SHA extensions.
  @Test func theProcessPairsWherePairingPays() {
    let speedup = SHA256Stream.pairSpeedup
    #expect(SHA256Stream.accelerated ? speedup > 0.5 && speedup < 2.5 : speedup == 1, "\(speedup)")
    let oneCore = csupport_available_processors() < 2
    #expect(
      SHA256Pairing.shared.pairs
        == (SHA256Stream.accelerated && (speedup >= SHA256Pairing.worthwhileSpeedup || oneCore)))
  }

  /// A write's hash open and idle (its file not written yet) must not hold the file's digest
  /// back: the caller asking for it hashes the file itself. An empty file has the empty digest.
  @Test func anIdleWriteHashDoesNotHoldTheDigestBack() throws {
    let dir = TemporaryDirectory()
    let path = file(dir, "f", count: 3 * FileHashWork.pieceBytes + 1, seed: 3)
    let idle = BackgroundSHA256()
    #expect(try FileSHA256(path).value() == SHA256Stream.file(path))
    #expect(
      try FileSHA256(dir.write("empty", [])).value()
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(idle.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func aMissingFileIsAnErrorNamingIt() {
    let dir = TemporaryDirectory()
    #expect { try FileSHA256(dir.file("none")).value() } throws: {
      ($0 as? FileIOError)?.description.contains("none: does not exist") == true
    }
  }
}
