import Checkpoint
import Conversion
import Foundation
import TestSupport
import Testing

@testable import Formats

/// Exports written back to `.npz` (and checkpoints re-saved as `.npz`): the original keys,
/// dtypes, shapes and bytes. (numpy judges the same in Tests/python/check_write_back.py.)
@Suite struct WriteBackTests {
  /// Every array of a checkpoint: dtype, shape and bytes, by key.
  private func arrays(_ path: String) throws -> [String: (DType, [Int], [UInt8])] {
    let file = try NpzFile(path: path)
    var result: [String: (DType, [Int], [UInt8])] = [:]
    for array in file.arrays { result[array.key] = (array.dtype, array.shape, try file.readData(array)) }
    return result
  }

  @Test(arguments: Fixtures.cases)
  func everyExportWritesTheCheckpointBackBitForBit(fixture: String) throws {
    let dir = TemporaryDirectory()
    let original = try arrays(Fixtures.path(fixture))
    for name in ["bundle", "m.h5", "m.onnx"] {
      let export = try convert(Fixtures.path(fixture), into: dir, name: name)
      let summary = try WriteBack.write(WriteBackRequest(export: export, output: dir.file(name + ".npz")))
      #expect(summary.format == .npz && summary.tensors == original.count)
      let written = try arrays(dir.file(name + ".npz"))
      #expect(Set(written.keys) == Set(original.keys), "\(name)")
      for (key, (dtype, shape, bytes)) in original {
        #expect(written[key]?.0 == dtype && written[key]?.1 == shape && written[key]?.2 == bytes, "\(name): \(key)")
      }
    }
    // Re-saved straight from the checkpoint: the same file, byte for byte, its members in the
    // natural order of their keys.
    let direct = try convert(Fixtures.path(fixture), into: dir, name: "direct.npz")
    #expect(FileManager.default.contentsEqual(atPath: direct, andPath: dir.file("bundle.npz")))
    let keys = try NpzFile(path: direct).arrays.map(\.key)
    #expect(keys == keys.sorted(by: NaturalOrder.less) && keys.count == original.count)
  }

  @Test func aCheckpointIsResavedInAnotherDtypeAndTheExportsDtypeIsKept() throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("r50_vit_tiny")
    let resaved = try convert(source, into: dir, name: "bf16.npz") { $0.dtype = .bfloat16 }
    let written = try arrays(resaved)
    let original = try arrays(source)
    #expect(Set(written.keys) == Set(original.keys) && written.values.allSatisfy { $0.0 == .bfloat16 })
    let half = try convert(source, into: dir, name: "h.onnx") { $0.dtype = .float16 }
    _ = try WriteBack.write(WriteBackRequest(export: half, output: dir.file("h.npz")))
    #expect(try arrays(dir.file("h.npz")).values.allSatisfy { $0.0 == .float16 })
    var widened = WriteBackRequest(export: half, output: dir.file("w.npz"))
    widened.dtype = .float32
    _ = try WriteBack.write(widened)
    #expect(try arrays(dir.file("w.npz")).values.allSatisfy { $0.0 == .float32 })
  }

  @Test func onlyAnNpzIsWrittenBack() throws {
    let dir = TemporaryDirectory()
    let export = try convert(Fixtures.path("mixer_tiny"), into: dir, name: "b")
    #expect(throws: ConversionError.self) {
      try WriteBack.write(WriteBackRequest(export: export, output: dir.file("x.onnx")))
    }
    #expect(throws: ExportFileError.self) {
      try WriteBack.write(WriteBackRequest(export: Fixtures.path("mixer_tiny"), output: dir.file("x.npz")))
    }
    #expect(dir.contents() == ["b"])
  }
}
