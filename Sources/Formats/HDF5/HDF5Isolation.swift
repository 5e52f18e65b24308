import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// How HDF5 exports are read.
///
/// libhdf5 is not robust against damaged files: a flipped byte in a file's metadata can make
/// it read out of bounds and crash. Read in a child process, such a file fails that process
/// only, and the caller reports it as one line.
public enum HDF5Reading: Sendable {
  /// libhdf5 in this process (trusted files, tests).
  case inProcess
  /// libhdf5 in a child: `executable internal-read-hdf5 [--no-checksum] -- PATH`, which streams
  /// the checked export back (see ``HDF5Transfer``).
  case isolated(executable: String)
}

/// The stream a child reader sends its parent: `MCH5`, the graph document's length (8 bytes,
/// little-endian) and bytes, then every tensor in name order as its length and bytes. The
/// parent checks it all again (graph, sizes) rather than trusting it.
public enum HDF5Transfer {
  static let magic = Array("MCH5".utf8)
  /// What the child sends instead when it refuses the file: `MCER`, then the tensor's name
  /// (empty for none) and the reason, each as its length (8 bytes, little-endian) and UTF-8.
  static let failureMagic = Array("MCER".utf8)
  /// The longest name or reason a failure record may carry.
  static let maxFailureText = 1 << 16

  /// The child's side: reads the export at `path` under ``HDF5ReaderLimits`` and sends it on
  /// `descriptor`.
  ///
  /// - Parameter checksums: verify every tensor's CRC-32C.
  public static func serve(_ path: String, checksums: Bool, to descriptor: Int32) throws {
    let fileSize = RegularFile.size(at: path) ?? 0
    // libhdf5 is loaded before the limits, so the address space they start from includes it
    // (when it cannot be loaded, LoadedHDF5 reports why).
    _ = HDF5Library.unavailable
    HDF5ReaderLimits.beforeOpening(fileSize: fileSize)
    let export: LoadedHDF5
    do {
      export = try LoadedHDF5(path: path, checksums: checksums) { tensorBytes in
        HDF5ReaderLimits.forTensors(bytes: tensorBytes, fileSize: fileSize)
      }
    } catch let error as ExportFileError {
      let fields = [
        Array((error.tensor ?? "").utf8.prefix(maxFailureText)), Array(error.reason.utf8.prefix(maxFailureText)),
      ]
      let record = failureMagic + fields.flatMap { littleEndian($0.count) + $0 }
      try? record.withUnsafeBytes { try write($0, descriptor) }
      throw error
    }
    try send(export, to: descriptor)
  }

  /// Sends an opened export on `descriptor`.
  static func send(_ export: LoadedHDF5, to descriptor: Int32) throws {
    let graph = try BundleLayout.json(export.graph)
    try (magic + littleEndian(graph.count) + graph).withUnsafeBytes { try write($0, descriptor) }
    for name in export.graph.header.weights.tensors.keys.sorted() {
      let bytes = export.storedBytes(of: name)!
      try littleEndian(bytes.count).withUnsafeBytes { try write($0, descriptor) }
      try write(bytes, descriptor)
    }
  }

  /// Runs the child reader on `path` and returns what it sent, or the one-line error it (or
  /// libhdf5's crash) ended with.
  static func receive(_ path: String, executable: String, checksums: Bool) throws -> TransferredExport {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    // After `--`, a path that starts with - is no option.
    process.arguments = ["internal-read-hdf5"] + (checksums ? [] : ["--no-checksum"]) + ["--", path]
    let output = Pipe()
    #if os(Linux)
    // A 1 MiB pipe (F_SETPIPE_SZ, 1031) instead of 64 KiB: a sixteenth of the round trips
    // between the two processes for the same data.
    _ = fcntl(output.fileHandleForWriting.fileDescriptor, 1031, 1 << 20)
    #endif
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch {
      throw ExportFileError(
        path: path, reason: "cannot start the HDF5 reader \(executable): \(FileIOError.systemReason(of: error))")
    }
    let messages = Messages()
    let drained = DispatchGroup()
    DispatchQueue.global().async(group: drained) { messages.data = errors.fileHandleForReading.readDataToEndOfFile() }
    let reader = StreamReader(output.fileHandleForReading.fileDescriptor)
    let received = Result { try TransferredExport(path: path, stream: reader) }
    try? output.fileHandleForReading.close()
    process.waitUntilExit()
    drained.wait()
    if process.terminationReason == .uncaughtSignal {
      let reason =
        process.terminationStatus == SIGXCPU
        ? "reading it took more than the HDF5 reader's CPU time limit: the file is corrupt"
        : "libhdf5 crashed reading it (signal \(process.terminationStatus)): the file is corrupt"
      throw ExportFileError(path: path, reason: reason)
    }
    guard process.terminationStatus == 0 else {
      // A refusal comes as a failure record; anything else is the child's own failure.
      if case .failure(let refusal as ChildRefusal) = received { throw refusal.error }
      let last = String(decoding: messages.data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
      throw ExportFileError(path: path, reason: "the HDF5 reader failed (status \(process.terminationStatus)): \(last)")
    }
    return try received.get()
  }

  private static func littleEndian(_ value: Int) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }

  private static func write(_ bytes: UnsafeRawBufferPointer, _ descriptor: Int32) throws {
    var offset = 0
    while offset < bytes.count {
      let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0, errno == EINTR { continue }
      guard written > 0 else {
        throw ExportFileError(path: "standard output", reason: "cannot write: \(String(cString: strerror(errno)))")
      }
      offset += written
    }
  }

  /// The child's standard error, filled by another thread.
  private final class Messages: @unchecked Sendable { var data = Data() }
}

/// Exact-length reads from a pipe.
struct StreamReader {
  let descriptor: Int32
  init(_ descriptor: Int32) { self.descriptor = descriptor }

  /// Fills `buffer` completely, or returns false at a premature end.
  func read(into buffer: UnsafeMutableRawBufferPointer) -> Bool {
    var offset = 0
    while offset < buffer.count {
      let got = Foundation.read(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
      if got < 0, errno == EINTR { continue }
      guard got > 0 else { return false }
      offset += got
    }
    return true
  }

  func count() -> Int? {
    var bytes = [UInt8](repeating: 0, count: 8)
    guard bytes.withUnsafeMutableBytes({ read(into: $0) }) else { return nil }
    return bytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  }
}

/// An HDF5 export as a child reader sent it.
final class TransferredExport: LoadedExport {
  let path: String
  let graph: GraphDocument
  private let buffers = TensorBuffers()

  init(path: String, stream: StreamReader) throws {
    self.path = path
    let incomplete = ExportFileError(path: path, reason: "the HDF5 reader stopped early")
    var magic = [UInt8](repeating: 0, count: 4)
    guard magic.withUnsafeMutableBytes({ stream.read(into: $0) }) else { throw incomplete }
    if magic == HDF5Transfer.failureMagic {
      let (tensor, reason) = (try Self.text(stream, or: incomplete), try Self.text(stream, or: incomplete))
      throw ChildRefusal(error: ExportFileError(path: path, tensor: tensor.isEmpty ? nil : tensor, reason: reason))
    }
    guard magic == HDF5Transfer.magic,
      let length = stream.count(), length <= JSONDocument.maxBytes
    else { throw incomplete }
    var json = [UInt8](repeating: 0, count: length)
    guard json.withUnsafeMutableBytes({ stream.read(into: $0) }) else { throw incomplete }
    graph = try JSONDocument.decode(GraphDocument.self, from: Data(json), path: path)
    do { try graph.validate() } catch let error as GraphError {
      throw ExportFileError(path: path, reason: error.message)
    }
    guard let itemSize = graph.header.weights.itemSize, let total = graph.header.weights.totalBytes else {
      throw incomplete
    }
    if let refusal = MemoryBudget.refusal(tensorBytes: total) { throw ExportFileError(path: path, reason: refusal) }
    for name in graph.header.weights.tensors.keys.sorted() {
      let expected = graph.header.weights.tensors[name]!.shape.reduce(1, *) * itemSize
      guard let count = stream.count(), count == expected else { throw incomplete }
      guard stream.read(into: buffers.allocate(name, count: count)) else { throw incomplete }
    }
  }

  var format: ExportFormat { .hdf5 }
  var header: ExportHeader { graph.header }
  var formatVersion: String { graph.formatVersion }
  var operations: [String: Int] { graph.operationCounts }

  func storedBytes(of name: String) -> UnsafeRawBufferPointer? { buffers[name] }

  func compile(compute: Compute) throws -> ExecutionPlan {
    ExecutionPlan(graph: graph, weights: weights(), compute: compute)
  }
}

/// The child reader refused the file: its error, as it sent it.
struct ChildRefusal: Error {
  let error: ExportFileError
}

extension TransferredExport {
  /// A length-prefixed UTF-8 text of a failure record.
  fileprivate static func text(_ stream: StreamReader, or incomplete: ExportFileError) throws -> String {
    guard let length = stream.count(), length <= HDF5Transfer.maxFailureText else { throw incomplete }
    var bytes = [UInt8](repeating: 0, count: length)
    guard bytes.withUnsafeMutableBytes({ stream.read(into: $0) }) else { throw incomplete }
    return String(decoding: bytes, as: UTF8.self)
  }
}
