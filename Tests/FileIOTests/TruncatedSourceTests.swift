import CSupport
import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct TruncatedSourceTests {
  /// A write whose bytes come from a mapped file that was truncated since (the system call
  /// fails with EFAULT) names that file, not the output: the output is not at fault.
  @Test func aWriteFromATruncatedMappingNamesTheMappedFile() throws {
    let dir = TemporaryDirectory()
    let source = dir.file("source.bin")
    let size = 4 << 20  // past the writer's 1 MiB buffer, so written straight from the mapping
    try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: source))
    let fd = open(source, O_RDONLY)
    #expect(fd >= 0)
    defer { close(fd) }
    let address = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
    #expect(address != MAP_FAILED)
    defer { munmap(address, size) }
    let slot = csupport_register_mapping(address, size, source)
    #expect(slot >= 0)
    #expect(truncate(source, 0) == 0)
    let writer = try FileWriter(creating: dir.file("out.bin"))
    #expect {
      try writer.write(UnsafeRawBufferPointer(start: address, count: size))
    } throws: { error in
      "\(error)" == "\(source): was truncated by another program while this one read it"
    }
    // Unregistered, the same failure is the output's (the source is not known to be a file).
    csupport_unregister_mapping(slot)
    let second = try FileWriter(creating: dir.file("out2.bin"))
    #expect {
      try second.write(UnsafeRawBufferPointer(start: address, count: size))
    } throws: { error in
      "\(error)".hasPrefix(dir.file("out2.bin") + ": cannot write")
    }
  }
}
