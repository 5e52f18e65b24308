import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// An export opened for reading: its header, the stored bytes of every tensor, and its
/// computation, which ``RunnableExport/compile(compute:)`` prepares for running.
public protocol LoadedExport: RunnableExport {
  /// The format it is in.
  var format: ExportFormat { get }
  /// The version of the layout it follows (a graph document's `format_version`).
  var formatVersion: String { get }
  /// Number of nodes per operation, in the format's own vocabulary (`Dense`, or `MatMul`).
  var operations: [String: Int] { get }
  /// The stored bytes of a tensor (little-endian, the export's dtype), valid while the export
  /// is open.
  func storedBytes(of name: String) -> UnsafeRawBufferPointer?
}

extension LoadedExport {
  /// The element type of the stored weights (the header is validated when an export opens).
  public var dtype: DType { DType(rawValue: header.weights.dtype)! }

  /// A tensor decoded to float32 in its canonical shape.
  public func tensor(_ name: String) -> Tensor? {
    guard let entry = header.weights.tensors[name], let bytes = storedBytes(of: name) else { return nil }
    return Tensor(shape: entry.shape, scalars: ElementConversion.floats(bytes, type: dtype, order: .little))
  }

  /// Every weight, decoded to float32.
  public func weights() -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for name in header.weights.tensors.keys { result[name] = tensor(name) }
    return result
  }
}

/// How exports are opened.
public struct OpenOptions: Sendable {
  /// Verify every tensor's CRC-32C (and whatever file checksums the format records).
  public var checksums = true
  /// Where libhdf5 reads an HDF5 file (see ``HDF5Reading``).
  public var hdf5: HDF5Reading = .inProcess
  /// Files the export refers to by name beside it (an ONNX model's data file) that are elsewhere
  /// for now, by that name: where they are staged while an export is checked before its commit
  /// (``StagedFiles/siblings``).
  public var stagedSiblings: [String: String] = [:]

  public init(checksums: Bool = true, hdf5: HDF5Reading = .inProcess) {
    self.checksums = checksums
    self.hdf5 = hdf5
  }
}

/// Opens exports of every format.
public enum Exports {
  /// Opens `path`, in whichever format its content shows (a folder is a bundle).
  public static func open(_ path: String, _ options: OpenOptions = OpenOptions()) throws -> any LoadedExport {
    try format(of: path).open(path, options)
  }

  /// The format of the existing export at `path`, judged by its content.
  public static func format(of path: String) throws -> ExportFormat {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ExportFileError(path: path, reason: "does not exist")
    }
    if !isDirectory.boolValue {
      do { close(try RegularFile.open(path).descriptor) } catch {
        throw ExportFileError(path: path, reason: error.reason)
      }
    }
    if let format = recognized(path, folder: isDirectory.boolValue) { return format }
    if isDirectory.boolValue { return .bundle }
    if let named = ExportFormat.claimedFile(by: path) {
      throw ExportFileError(path: path, reason: "is named as \(named.noun), but its content is not one")
    }
    let nouns = ExportFormat.allCases.filter(\.isReadable).map(\.noun)
    throw ExportFileError(path: path, reason: "is neither \(nouns.listed("nor"))")
  }

  /// The path of the export at `path` and every file it consists of (an ONNX file's data file
  /// included): what a command reading it must not overwrite. Just `path` when it is no export.
  public static func files(of path: String) -> [String] {
    [path] + ((try? format(of: path))?.files(at: path) ?? [])
  }

  /// The identity of the export at `path` as a whole (``FileIdentity/init(of:madeOf:)`` over every
  /// file it consists of), or nil when nothing is there: what tells whether an export is still
  /// the one a process looked at.
  public static func identity(of path: String) -> FileIdentity? { FileIdentity(of: path, madeOf: files(of: path)) }

  /// Whether `path` is an export rather than a checkpoint: a folder, or a file whose content
  /// one of the formats recognises.
  public static func isExport(_ path: String) -> Bool { (try? format(of: path)) != nil }

  /// Whether `path` holds an export by its content: unlike ``isExport(_:)``, a folder without
  /// an export's files does not.
  public static func holdsExport(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && recognized(path, folder: isDirectory.boolValue) != nil
  }

  /// The readable format of a folder (`folder`) or file whose content it recognises.
  private static func recognized(_ path: String, folder: Bool) -> ExportFormat? {
    ExportFormat.allCases.first { $0.isReadable && $0.isFolder == folder && $0.definition.recognizes(path) }
  }
}
