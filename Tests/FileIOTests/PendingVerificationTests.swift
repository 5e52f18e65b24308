import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct PendingVerificationTests {
  /// The mark is a hidden sibling, found by the output's path and gone once cleared; the
  /// output itself is never touched.
  @Test func markIsAHiddenSiblingUntilCleared() throws {
    let dir = TemporaryDirectory()
    let output = dir.write("model.onnx", [1, 2, 3])
    #expect(!PendingVerification.isMarked(output))
    try PendingVerification.mark(output)
    #expect(PendingVerification.isMarked(output))
    #expect(dir.contents() == [".model.onnx.unverified", "model.onnx"])
    PendingVerification.clear(output)
    #expect(!PendingVerification.isMarked(output))
    #expect(dir.contents() == ["model.onnx"])
  }

  /// A name too long for `.NAME.unverified` is marked under its shortened stem, as its lock
  /// file and temporaries are.
  @Test func longNamesAreMarkedUnderTheirStem() throws {
    let dir = TemporaryDirectory()
    let output = dir.file(String(repeating: "n", count: 250))
    try PendingVerification.mark(output)
    #expect(PendingVerification.isMarked(output))
    let mark = try #require(dir.contents().first)
    #expect(mark.hasPrefix(".") && mark.hasSuffix(".unverified") && mark.utf8.count <= 255)
  }

  /// A mark that cannot be written fails naming the output, leaving nothing behind.
  @Test func anUnwritableMarkNamesTheOutput() throws {
    let dir = TemporaryDirectory()
    let output = dir.file("missing/model")
    #expect { try PendingVerification.mark(output) } throws: {
      ($0 as? FileIOError)?.path == output
        && ($0 as? FileIOError)?.reason.hasPrefix("cannot record that it awaits verification") == true
    }
    #expect(dir.contents().isEmpty)
  }
}
