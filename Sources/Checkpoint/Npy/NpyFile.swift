import FileIO
import Foundation

/// A standalone `.npy` file: read whole into memory, or written atomically.
public enum NpyFile {
  /// The largest `.npy` file read (inputs and outputs of a model are far smaller).
  public static let maxBytes = 4 << 30

  /// Reads a floating-point or integer array and converts it to `Float`, in C order. The data
  /// is read and converted 4 MiB at a time, so the file's bytes are never held whole beside
  /// the values (a float64 file took three times its float32 size); an array stored in Fortran
  /// order is reordered after, in a second array of values.
  ///
  /// - Returns: the shape and the values.
  public static func readFloats(path: String) throws -> (shape: [Int], values: [Float]) {
    try withFile(path) { size, bytes throws(FormatViolation) in
      let header = try header(size: size, bytes)
      let itemSize = header.dtype.itemSize
      let count = header.dataByteCount / itemSize
      let partCount = (4 << 20) / itemSize
      var values = [Float](repeating: 0, count: count)
      var done = 0
      while done < count {
        let part = min(partCount, count - done)
        let start = header.dataOffset + done * itemSize
        let chunk = try bytes(start..<(start + part * itemSize))
        chunk.withUnsafeBytes { raw in
          values.withUnsafeMutableBufferPointer {
            _ = ElementConversion.convert(
              raw.baseAddress!, from: header.dtype, order: header.byteOrder, to: $0.baseAddress! + done,
              as: .float32, count: part)
          }
        }
        done += part
      }
      return (header.shape, header.fortranOrder ? AxisOrder.fortranToC(values, shape: header.shape) : values)
    }
  }

  /// The header of the regular file at `path`, checked against the file's size, without
  /// reading its data.
  public static func readHeader(path: String) throws -> NpyHeader {
    try withFile(path) { size, bytes throws(FormatViolation) in try header(size: size, bytes) }
  }

  /// Runs `body` on the regular file at `path` (at most ``maxBytes``): its size, and a reader of
  /// its byte ranges. Errors name the file.
  private static func withFile<T>(
    _ path: String,
    _ body: (Int, (Range<Int>) throws(FormatViolation) -> [UInt8]) throws(FormatViolation) -> T
  ) throws -> T {
    let (descriptor, size): (Int32, Int)
    do { (descriptor, size) = try RegularFile.open(path) } catch {
      throw CheckpointError(path: path, reason: error.reason)
    }
    defer { close(descriptor) }
    guard size <= maxBytes else {
      throw CheckpointError(path: path, reason: "file is larger than \(maxBytes >> 30) GiB")
    }
    func bytes(_ range: Range<Int>) throws(FormatViolation) -> [UInt8] {
      guard let bytes = RegularFile.read(descriptor, range: range), bytes.count == range.count else {
        throw FormatViolation("data is truncated")
      }
      return bytes
    }
    do {
      return try body(size, bytes)
    } catch {
      throw CheckpointError(path: path, reason: error.reason)
    }
  }

  /// Decodes a whole `.npy` stream held in memory; `path` names it in errors.
  public static func decode(_ stream: [UInt8], path: String) throws -> (NpyHeader, [UInt8]) {
    do {
      let header = try header(size: stream.count) { Array(stream[$0]) }
      return (header, reordered(Array(stream[header.dataOffset...]), header))
    } catch {
      throw CheckpointError(path: path, reason: error.reason)
    }
  }

  /// Parses the header of a stream of `size` bytes, reading its byte ranges with `bytes`, and
  /// checks that exactly its data follows.
  private static func header(
    size: Int, _ bytes: (Range<Int>) throws(FormatViolation) -> [UInt8]
  ) throws(FormatViolation)
    -> NpyHeader
  {
    let preamble = try bytes(0..<min(NpyHeader.preambleLength, size))
    let textRange = try NpyHeader.headerTextRange(preamble: preamble)
    guard textRange.upperBound <= size else { throw FormatViolation("npy header is truncated") }
    let header = try NpyHeader.parse(preamble + bytes(preamble.count..<textRange.upperBound))
    guard size - header.dataOffset == header.dataByteCount else {
      throw FormatViolation(
        "file holds \(size - header.dataOffset) data bytes but its header describes \(header.dataByteCount)")
    }
    return header
  }

  /// The data in C order.
  private static func reordered(_ data: [UInt8], _ header: NpyHeader) -> [UInt8] {
    header.fortranOrder ? AxisOrder.fortranToC(data, shape: header.shape, itemSize: header.dtype.itemSize) : data
  }

  /// Writes a little-endian float32 array (format 1.0, C order) to `path`, atomically.
  public static func write(_ values: [Float], shape: [Int], to path: String, replacing: Bool) throws {
    precondition(values.count == shape.reduce(1, *), "values do not match the shape")
    let output = try AtomicOutput(finalPath: path, isDirectory: false, replacing: replacing)
    let file = try FileWriter(creating: output.temporaryPath, reportingAs: output.finalPath)
    try file.write(NpyHeader.encode(dtype: .float32, shape: shape))
    try values.withUnsafeBytes { try file.write($0) }
    try file.flush()
    try output.commit()
  }
}
