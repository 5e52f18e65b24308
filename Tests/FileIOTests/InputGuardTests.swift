import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct InputGuardTests {
  @Test func anOutputThatIsOrHoldsAnInputIsRefused() throws {
    let dir = TemporaryDirectory()
    let input = dir.write("copy.npz", [1, 2, 3])
    try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
    let inside = dir.write("out/inside.npz", [4])
    try FileManager.default.createSymbolicLink(atPath: dir.file("alias.npz"), withDestinationPath: input)
    try FileManager.default.linkItem(atPath: input, toPath: dir.file("hard.npz"))
    try FileManager.default.createSymbolicLink(atPath: dir.file("via.npz"), withDestinationPath: inside)
    let refused: [(output: String, input: String, reason: String)] = [
      (input, input, "is the input"),
      (dir.file("alias.npz"), input, "is the input"),
      (dir.file("hard.npz"), input, "is the input"),
      (dir.file("out"), inside, "holds the input"),
      (dir.file("out"), dir.file("via.npz"), "holds the input"),
      (dir.path, input, "holds the input"),
    ]
    for (output, input, reason) in refused {
      #expect { try InputGuard.check(output: output, inputs: ["other", input]) } throws: {
        ($0 as? FileIOError)?.reason.contains(reason) == true
      }
    }
    try InputGuard.check(output: dir.file("out"), inputs: [input])
    try InputGuard.check(output: dir.file("new.h5"), inputs: [input])
  }
}
