import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct RegularFileTests {
  /// A FIFO is refused at once (opening one for reading would wait for a writer forever).
  @Test func fifosAndFoldersAreRefusedWithoutBlocking() throws {
    let dir = TemporaryDirectory()
    #expect(mkfifo(dir.file("fifo"), 0o644) == 0)
    let start = Date()
    #expect { try RegularFile.open(dir.file("fifo")) } throws: {
      ($0 as? FileIOError)?.reason.contains("not a regular file") == true
    }
    #expect { try RegularFile.read(dir.path, limit: 10) } throws: {
      ($0 as? FileIOError)?.reason.contains("is a folder") == true
    }
    #expect { try RegularFile.read(dir.file("none"), limit: 10) } throws: {
      ($0 as? FileIOError)?.reason == "does not exist"
    }
    #expect(Date().timeIntervalSince(start) < 5)
  }

  @Test func sizesAreCheckedBeforeReading() throws {
    let dir = TemporaryDirectory()
    let path = dir.write("f", [1, 2, 3, 4])
    #expect(try RegularFile.read(path, limit: 4) == [1, 2, 3, 4])
    #expect { try RegularFile.read(path, limit: 3) } throws: {
      ($0 as? FileIOError)?.reason.contains("more than the 3 accepted") == true
    }
  }

  @Test func sizeIsTheFileSizeOrNil() throws {
    let dir = TemporaryDirectory()
    let path = dir.write("f", [UInt8](repeating: 7, count: 5000))
    #expect(RegularFile.size(at: path) == 5000)
    #expect(symlink(path, dir.file("link")) == 0)
    #expect(RegularFile.size(at: dir.file("link")) == 5000)
    #expect(RegularFile.size(at: dir.file("none")) == nil)
  }
}
