import TestSupport
import Testing

@testable import Checkpoint

@Suite struct HostileInputTests {
  /// Opens the case and reads every tensor, returning the error.
  private func failure(_ hostile: HostileCase) -> CheckpointError? {
    let dir = TemporaryDirectory()
    let path = dir.write(hostile.name, hostile.bytes)
    do {
      let file = try NpzFile(path: path)
      if hostile.needsData { for array in file.arrays { _ = try file.readFloats(array) } }
      return nil
    } catch let error as CheckpointError {
      #expect(error.path == path)
      return error
    } catch {
      Issue.record("\(hostile.name): unexpected error type \(error)")
      return nil
    }
  }

  @Test(arguments: HostileCorpus.cases)
  func hostileInputIsRefusedWithItsReason(hostile: HostileCase) throws {
    let error = try #require(failure(hostile), "\(hostile.name) (\(hostile.note)) was accepted")
    #expect(error.member == hostile.member, "\(hostile.name): \(error)")
    #expect(error.reason.contains(hostile.reason), "\(hostile.name): \(error)")
    #expect(!error.description.contains("\n"))
  }

  @Test func crcCaseIsOnlyVisibleWhenDataIsRead() throws {
    let hostile = try #require(HostileCorpus.cases.first { $0.name == "crc.npz" })
    let dir = TemporaryDirectory()
    let file = try NpzFile(path: dir.write("crc.npz", hostile.bytes))
    #expect(file.arrays.count == 1)
  }

  @Test func missingFileIsReported() {
    #expect { try NpzFile(path: "/nonexistent/x.npz") } throws: {
      ($0 as? CheckpointError)?.reason == "does not exist"
    }
  }

  @Test func namesWithUnsafeComponentsAreRefused() {
    for name in ["a/../b.npy", "..", "a\\b.npy", "x\u{01}.npy", "", "dir/"] {
      #expect(ZipArchive.unsafeNameReason(name) != nil, "\(name)")
    }
    for name in ["Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel.npy", "a..b.npy", "cls.npy"] {
      #expect(ZipArchive.unsafeNameReason(name) == nil, "\(name)")
    }
  }
}
