import FileIO

/// Writes an `.npz` checkpoint: one npy member per tensor, in a zip numpy can open.
///
/// Output goes to a temporary sibling that is renamed into place by ``finish(beforeCommit:)``; if the
/// writer is dropped before that, nothing is left behind and an existing file is untouched.
public final class NpzWriter {
  private let output: AtomicOutput
  private let file: FileWriter
  private let zip: ZipWriter
  private let compression: ZipCompression
  private var keys: Set<String> = []

  /// Starts a new checkpoint at `path`.
  ///
  /// - Parameters:
  ///   - compression: `.stored` as `np.savez` writes, `.deflate` as `np.savez_compressed`.
  ///   - replacing: allow an existing file to be replaced.
  public init(path: String, compression: ZipCompression, replacing: Bool) throws {
    output = try AtomicOutput(finalPath: path, isDirectory: false, replacing: replacing)
    file = try FileWriter(creating: output.temporaryPath, reportingAs: output.finalPath)
    zip = ZipWriter(file: file)
    self.compression = compression
  }

  /// Adds a tensor whose elements (little-endian `dtype`, C order) are in `data`.
  public func add(key: String, dtype: DType, shape: [Int], data: UnsafeRawBufferPointer) throws {
    try add(key: key, dtype: dtype, shape: shape) { sink in try sink(data) }
  }

  /// Adds a tensor whose elements (little-endian `dtype`, C order) `produce` hands to the
  /// sink, in any number of chunks, exactly as many bytes as `shape` holds.
  public func add(
    key: String, dtype: DType, shape: [Int],
    produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  ) throws {
    let size = shape.reduce(1, *) * dtype.itemSize
    precondition(keys.insert(key).inserted, "\(key) added twice")
    let header = NpyHeader.encode(dtype: dtype, shape: shape)
    try zip.addMember(name: key + ".npy", size: header.count + size, compression: compression) { sink in
      try header.withUnsafeBytes { try sink($0) }
      try withoutActuallyEscaping(sink) { sink in try produce(sink) }
    }
  }

  /// Completes the archive and moves it into place.
  ///
  /// - Parameter beforeCommit: given the complete archive's temporary path before it is moved
  ///   into place; what it throws abandons the archive, and a file it would replace stays.
  /// - Returns: the file as the commit put it in place (taken before its lock was released).
  @discardableResult
  public func finish(beforeCommit: (_ staged: String) throws -> Void = { _ in }) throws -> FileIdentity? {
    try zip.finish()
    try file.flush()
    try beforeCommit(output.temporaryPath)
    return try output.commit()
  }
}
