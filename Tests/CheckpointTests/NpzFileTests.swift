import Foundation
import TestSupport
import Testing

@testable import Checkpoint

@Suite struct NpzFileTests {
  @Test(arguments: Fixtures.cases)
  func fixtureKeysAndShapesMatchTheirConfig(name: String) throws {
    let file = try NpzFile(path: Fixtures.path(name))
    let expected = try Fixtures.parameterShapes(name)
    #expect(Dictionary(uniqueKeysWithValues: file.arrays.map { ($0.key, $0.shape) }) == expected)
    #expect(file.arrays.allSatisfy { $0.dtype == .float32 && $0.header.dataOffset == 128 })
  }

  @Test func storedAndDeflatedFixturesHoldTheSameArrays() throws {
    let stored = try NpzFile(path: Fixtures.path("mixer_tiny"))
    let deflated = try NpzFile(path: Fixtures.path("mixer_tiny_compressed"))
    #expect(stored.arrays.allSatisfy { $0.compression == .stored })
    #expect(deflated.arrays.allSatisfy { $0.compression == .deflate })
    for array in stored.arrays {
      let other = try #require(deflated.array(array.key))
      #expect(try stored.readData(array) == deflated.readData(other))
    }
  }

  @Test func chunkedStreamingEqualsWholeRead() throws {
    let file = try NpzFile(path: Fixtures.path("mixer_tiny_compressed"))
    let array = try #require(file.array("stem/kernel"))
    var streamed: [UInt8] = []
    var chunks = 0
    try file.forEachChunk(of: array, chunkSize: 1000) { chunk in
      #expect(chunk.count % 4 == 0)
      streamed += chunk
      chunks += 1
    }
    #expect(chunks == (array.byteCount + 999) / 1000 || chunks == (array.byteCount + 995) / 996)
    #expect(streamed == (try file.readData(array)))
  }

  @Test(arguments: [ZipCompression.stored, .deflate])
  func writerRoundTripsEveryDType(compression: ZipCompression) throws {
    let dir = TemporaryDirectory()
    let path = dir.file("round.npz")
    let writer = try NpzWriter(path: path, compression: compression, replacing: false)
    let values: [Float] = (0..<1000).map { Float($0) * 0.37 - 100 }
    var expected: [String: ([Int], [Float])] = [:]
    for dtype in [DType.float32, .float16, .bfloat16, .float64] {
      var bytes = [UInt8](repeating: 0, count: values.count * dtype.itemSize)
      bytes.withUnsafeMutableBytes { out in
        values.withUnsafeBufferPointer {
          ElementConversion.encode($0.baseAddress!, count: 1000, as: dtype, into: out.baseAddress!)
        }
      }
      let key = "group/\(dtype.rawValue)/kernel"
      try bytes.withUnsafeBytes { try writer.add(key: key, dtype: dtype, shape: [10, 100], data: $0) }
      expected[key] = ([10, 100], bytes.withUnsafeBytes { ElementConversion.floats($0, type: dtype, order: .little) })
    }
    try writer.finish()
    let file = try NpzFile(path: path)
    #expect(file.arrays.count == expected.count)
    for array in file.arrays {
      let (shape, floats) = try #require(expected[array.key])
      #expect(array.shape == shape)
      #expect(array.compression == compression)
      #expect(try file.readFloats(array) == floats)
    }
  }

  @Test func writerIsDeterministic() throws {
    let dir = TemporaryDirectory()
    var outputs: [Data] = []
    for name in ["a.npz", "b.npz"] {
      let writer = try NpzWriter(path: dir.file(name), compression: .deflate, replacing: false)
      let data: [Float] = [1, 2, 3]
      try data.withUnsafeBytes { try writer.add(key: "x", dtype: .float32, shape: [3], data: $0) }
      try writer.finish()
      outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir.file(name))))
    }
    #expect(outputs[0] == outputs[1])
  }

  @Test func writerLeavesNothingWhenAbandonedAndRefusesToOverwrite() throws {
    let dir = TemporaryDirectory()
    do {
      let writer = try NpzWriter(path: dir.file("x.npz"), compression: .stored, replacing: false)
      let data: [Float] = [1]
      try data.withUnsafeBytes { try writer.add(key: "x", dtype: .float32, shape: [1], data: $0) }
      // Dropped without finish().
    }
    #expect(dir.contents().isEmpty)
    dir.write("x.npz", [1, 2, 3])
    #expect(throws: (any Error).self) { try NpzWriter(path: dir.file("x.npz"), compression: .stored, replacing: false) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("x.npz"))) == Data([1, 2, 3]))
  }

  @Test func fortranOrderArraysReadInCOrder() throws {
    // A 2×3 float32 array stored column-major: C-order values 0…5.
    let fortran: [Float] = [0, 3, 1, 4, 2, 5]
    let npy = RawZip.npy(
      header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: RawZip.floats(fortran))
    let dir = TemporaryDirectory()
    let path = dir.write("f.npz", RawZip([.init("f.npy", npy)]).bytes())
    let file = try NpzFile(path: path)
    #expect(try file.readFloats(file.arrays[0]) == [0, 1, 2, 3, 4, 5])
    var streamed: [UInt8] = []
    try file.forEachChunk(of: file.arrays[0]) { streamed += $0 }
    #expect(streamed == RawZip.floats([0, 1, 2, 3, 4, 5]))
  }

  @Test func statisticsMatchANaiveComputation() throws {
    let values: [Float] = [1, 2, .nan, 4, .infinity, -3, 0.5]
    let npy = RawZip.npy(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", data: RawZip.floats(values))
    let dir = TemporaryDirectory()
    let file = try NpzFile(path: dir.write("s.npz", RawZip([.init("s.npy", npy)]).bytes()))
    let stats = try file.statistics(of: file.arrays[0])
    let finite = values.filter(\.isFinite).map(Double.init)
    let mean = finite.reduce(0, +) / Double(finite.count)
    let std = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finite.count)).squareRoot()
    #expect(stats.min == -3 && stats.max == 4)
    #expect(abs(stats.mean - mean) < 1e-12 && abs(stats.std - std) < 1e-12)
    #expect(stats.nanCount == 1 && stats.infCount == 1)
  }

  /// A folder's statistics: two tensors' merged equal those of their values together.
  @Test func mergedStatisticsEqualThoseOfAllTheValues() {
    let first: [Float] = [1, 2, .nan, 4]
    let second: [Float] = [-3, 0.5, .infinity, 7, 7]
    func statistics(_ values: [Float]) -> TensorStatistics {
      var statistics = TensorStatistics()
      values.withUnsafeBufferPointer { statistics.add($0) }
      return statistics
    }
    let merged = statistics(first).merging(statistics(second))
    let together = statistics(first + second)
    #expect(merged.min == together.min && merged.max == together.max && merged.finiteCount == 7)
    #expect(abs(merged.mean - together.mean) < 1e-12 && abs(merged.std - together.std) < 1e-12)
    #expect(merged.nanCount == 1 && merged.infCount == 1)
    #expect(TensorStatistics().merging(statistics(second)) == statistics(second))
    #expect(statistics(second).merging(TensorStatistics()) == statistics(second))
  }

  @Test func standaloneNpyRoundTrips() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("x.npy")
    try NpyFile.write([1, 2, 3, 4, 5, 6], shape: [2, 3], to: path, replacing: false)
    let (shape, values) = try NpyFile.readFloats(path: path)
    #expect(shape == [2, 3] && values == [1, 2, 3, 4, 5, 6])
    let (inputShape, input) = try NpyFile.readFloats(path: Fixtures.path("mixer_tiny", "input.npy"))
    #expect(inputShape == [2, 64, 64, 3] && input.count == 2 * 64 * 64 * 3)
  }

  /// A standalone file is converted a part at a time (4 MiB of its data each): big-endian
  /// float64 over three parts, and Fortran order across parts, come out whole and in C order.
  @Test func standaloneNpyConvertsPartByPart() throws {
    let dir = TemporaryDirectory()
    func write(_ name: String, descr: String, fortran: Bool, shape: (Int, Int), data: Data) throws -> String {
      var header =
        "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(shape.0), \(shape.1)), }"
      while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
      let length = header.utf8.count + 1
      var file = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)])
      file += Data((header + "\n").utf8) + data
      #expect(FileManager.default.createFile(atPath: dir.file(name), contents: file))
      return dir.file(name)
    }
    let big = (0..<1_200_000).map { Double($0) * 0.5 }
    var swapped = Data(capacity: big.count * 8)
    for value in big { withUnsafeBytes(of: value.bitPattern.bigEndian) { swapped.append(contentsOf: $0) } }
    let (shape, values) = try NpyFile.readFloats(
      path: try write("b.npy", descr: ">f8", fortran: false, shape: (3, 400_000), data: swapped))
    #expect(shape == [3, 400_000] && values == big.map(Float.init))
    let (rows, columns) = (1000, 700)
    var fortran = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows { for j in 0..<columns { fortran[i + rows * j] = Double(i * columns + j) } }
    let (fortranShape, inC) = try NpyFile.readFloats(
      path: try write(
        "f.npy", descr: "<f8", fortran: true, shape: (rows, columns), data: fortran.withUnsafeBytes { Data($0) }))
    #expect(fortranShape == [rows, columns] && inC == (0..<(rows * columns)).map(Float.init))
  }
}
