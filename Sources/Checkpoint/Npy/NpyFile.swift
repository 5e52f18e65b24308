import FileIO
import Foundation

/// A standalone `.npy` file: read whole into memory, or written atomically.
public enum NpyFile {
  /// The largest `.npy` file read (inputs and outputs of a model are far smaller).
  public static let maxBytes = 4 << 30

  /// Reads a floating-point or integer array and converts it to `Float`, in C order.
  ///
  /// - Returns: the shape and the values.
  public static func readFloats(path: String) throws -> (shape: [Int], values: [Float]) {
    let (header, data) = try read(path: path)
    let floats = data.withUnsafeBytes { ElementConversion.floats($0, type: header.dtype, order: header.byteOrder) }
    return (header.shape, floats)
  }

  /// Reads the header and the data bytes (C order, stored byte order).
  public static func read(path: String) throws -> (NpyHeader, [UInt8]) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CheckpointError(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { try? handle.close() }
    let size = Int(try handle.seekToEnd())
    guard size <= maxBytes else { throw CheckpointError(path: path, reason: "file is larger than \(maxBytes >> 30) GiB") }
    try handle.seek(toOffset: 0)
    let preamble = [UInt8](try handle.read(upToCount: NpyHeader.preambleLength) ?? Data())
    do {
      let textRange = try NpyHeader.headerTextRange(preamble: preamble)
      guard textRange.upperBound <= size else { throw FormatViolation("npy header is truncated") }
      let rest = [UInt8](try handle.read(upToCount: textRange.upperBound - preamble.count) ?? Data())
      let header = try NpyHeader.parse(preamble + rest)
      guard size - header.dataOffset == header.dataByteCount else {
        throw FormatViolation("file holds \(size - header.dataOffset) data bytes but its header describes \(header.dataByteCount)")
      }
      var data = [UInt8](try handle.read(upToCount: header.dataByteCount) ?? Data())
      guard data.count == header.dataByteCount else { throw FormatViolation("data is truncated") }
      if header.fortranOrder {
        data = AxisOrder.fortranToC(data, shape: header.shape, itemSize: header.dtype.itemSize)
      }
      return (header, data)
    } catch let violation as FormatViolation {
      throw CheckpointError(path: path, reason: violation.reason)
    }
  }

  /// Writes a little-endian float32 array (format 1.0, C order) to `path`, atomically.
  public static func write(_ values: [Float], shape: [Int], to path: String, replacing: Bool) throws {
    precondition(values.count == shape.reduce(1, *), "values do not match the shape")
    let output = try AtomicOutput(finalPath: path, isDirectory: false, replacing: replacing)
    let file = try FileWriter(creating: output.temporaryPath)
    try file.write(NpyHeader.encode(dtype: .float32, shape: shape))
    try values.withUnsafeBytes { try file.write($0) }
    try file.synchronize()
    try output.commit()
  }
}
