import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct PendingVerificationTests {
  /// The mark is a hidden sibling, found by the output's path and gone once its maker clears
  /// it; the output itself is never touched.
  @Test func markIsAHiddenSiblingUntilCleared() throws {
    let dir = TemporaryDirectory()
    let output = dir.write("model.onnx", [1, 2, 3])
    #expect(!PendingVerification.isMarked(output))
    let mark = try PendingVerification.mark(output)
    #expect(PendingVerification.isMarked(output))
    #expect(dir.contents() == [".model.onnx.unverified", "model.onnx"])
    // It names its maker: this host and process, and a number of its own.
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count - 1)
    let fields = try String(contentsOfFile: dir.file(".model.onnx.unverified"), encoding: .utf8)
      .split(separator: "\t", omittingEmptySubsequences: false)
    #expect(fields.count == 3 && fields.last?.last == "\n")
    #expect(
      fields.first.map(String.init)
        == String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    #expect(fields.dropFirst().first.map(String.init) == "\(getpid())")
    mark.clear()
    #expect(!PendingVerification.isMarked(output))
    #expect(dir.contents() == ["model.onnx"])
  }

  /// A run clears only its own mark: not one another run put there since, nor any while a
  /// writer holds the output's lock (that writer's run marked it); and no mark is made then.
  @Test func onlyTheMakersMarkIsClearedAndNeverUnderAWriter() throws {
    let dir = TemporaryDirectory()
    let output = dir.file("model")
    let first = try PendingVerification.mark(output)
    let second = try PendingVerification.mark(output)
    #expect(!first.isStillMarked() && second.isStillMarked())
    first.clear()
    #expect(PendingVerification.isMarked(output), "another run's mark stays")
    let writer = try AtomicOutput(finalPath: output, isDirectory: true, replacing: true)
    second.clear()
    #expect(PendingVerification.isMarked(output), "kept while the output is being written")
    #expect { try PendingVerification.mark(output) } throws: {
      ($0 as? FileIOError)?.reason == "another process is writing it"
    }
    writer.abandon()
    second.clear()
    #expect(!PendingVerification.isMarked(output))
  }

  /// A name too long for `.NAME.unverified` is marked under its shortened stem, as its lock
  /// file and temporaries are.
  @Test func longNamesAreMarkedUnderTheirStem() throws {
    let dir = TemporaryDirectory()
    let output = dir.file(String(repeating: "n", count: 250))
    let mark = try PendingVerification.mark(output)
    #expect(PendingVerification.isMarked(output))
    let name = try #require(dir.contents().first)
    #expect(name.hasPrefix(".") && name.hasSuffix(".unverified") && name.utf8.count <= 255)
    mark.clear()
    #expect(dir.contents().isEmpty)
  }

  /// A mark that cannot be written fails naming the output, without waiting on a FIFO or
  /// writing through a link.
  @Test func anUnwritableMarkNamesTheOutput() throws {
    let dir = TemporaryDirectory()
    let missing = dir.file("missing/model")
    #expect { try PendingVerification.mark(missing) } throws: {
      ($0 as? FileIOError)?.path == missing
    }
    #expect(mkfifo(dir.file(".fifo.unverified"), 0o644) == 0)
    #expect { try PendingVerification.mark(dir.file("fifo")) } throws: {
      ($0 as? FileIOError)?.reason.hasPrefix("cannot mark it as awaiting verification (.fifo.unverified)") == true
    }
    let victim = dir.write("victim", [7])
    #expect(symlink(victim, dir.file(".linked.unverified")) == 0)
    #expect(throws: FileIOError.self) { try PendingVerification.mark(dir.file("linked")) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == Data([7]))
    #expect(!PendingVerification.isMarked(dir.file("linked")), "a link is no mark")
  }
}
