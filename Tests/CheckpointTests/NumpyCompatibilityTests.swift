import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// What numpy reads, we read; what would block or collide, we refuse.
@Suite struct NumpyCompatibilityTests {
  static let npy = RawZip.npy(
    header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: RawZip.floats([1, 2]))

  /// `np.load` keys a member without the `.npy` suffix by its whole name (issue 13, finding 14).
  @Test func membersWithoutTheSuffixAreKeyedByTheirName() throws {
    let dir = TemporaryDirectory()
    let path = dir.write(
      "bare.npz", RawZip([.init("head/kernel", Self.npy), .init("head/bias.npy", Self.npy)]).bytes())
    let file = try NpzFile(path: path)
    #expect(file.arrays.map(\.key) == ["head/kernel", "head/bias"])
    #expect(try file.readFloats(try #require(file.array("head/kernel"))) == [1, 2])
  }

  @Test func twoMembersGivingOneKeyAreRefused() {
    let bytes = RawZip([.init("a", Self.npy), .init("a.npy", Self.npy)]).bytes()
    #expect { try NpzFile(bytes: bytes, name: "twice.npz") } throws: {
      let error = $0 as? CheckpointError
      return error?.member == "a.npy" && error?.reason == "gives the key 'a', as the member 'a' does"
    }
  }

  @Test func archivesInMemoryReadAsTheirFiles() throws {
    let path = Fixtures.path("mixer_tiny_compressed")
    let fromFile = try NpzFile(path: path)
    let fromMemory = try NpzFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), name: "memory.npz")
    #expect(fromMemory.arrays == fromFile.arrays && fromMemory.path == "memory.npz")
    for array in fromFile.arrays { #expect(try fromMemory.readData(array) == fromFile.readData(array)) }
    #expect { try NpzFile(bytes: Array("<html>".utf8), name: "page.npz") } throws: {
      ($0 as? CheckpointError)?.reason.contains("looks like an HTML") == true
    }
  }

  @Test func npyStreamsDecodeInMemoryAsFromTheirFile() throws {
    let dir = TemporaryDirectory()
    let path = dir.write("a.npy", Self.npy)
    let decoded = try NpyFile.decode(Self.npy, path: "a.npy")
    let (shape, values) = try NpyFile.readFloats(path: path)
    #expect(decoded.0 == (try NpyFile.readHeader(path: path)) && decoded.0.shape == shape)
    #expect(decoded.1 == values.withUnsafeBytes { Array($0) })
    #expect { try NpyFile.decode(Array(Self.npy.dropLast()), path: "short.npy") } throws: {
      ($0 as? CheckpointError)?.reason.contains("holds 7 data bytes but its header describes 8") == true
    }
  }

  /// Opening a FIFO for reading waits for a writer; inputs are checked to be regular files
  /// without blocking (issue 13, finding 9).
  @Test func fifosAreRefusedAtOnce() throws {
    let dir = TemporaryDirectory()
    #expect(mkfifo(dir.file("f.npz"), 0o644) == 0 && mkfifo(dir.file("f.npy"), 0o644) == 0)
    #expect { try NpzFile(path: dir.file("f.npz")) } throws: {
      ($0 as? CheckpointError)?.reason.contains("not a regular file") == true
    }
    #expect { try NpyFile.readFloats(path: dir.file("f.npy")) } throws: {
      ($0 as? CheckpointError)?.reason.contains("not a regular file") == true
    }
  }
}
