import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// A timm or transformers folder written by mixer-convert, opened for running: the canonical
/// graph from `mixer-convert.json`, and every canonical tensor recovered from
/// `model.safetensors` by undoing the library's layout (splitting fused tensors, permuting the
/// axes back), so that `run`, `verify`, `inspect` and a write-back to npz work on it as on a
/// bundle.
///
/// Opening refuses, with one line naming the file (and tensor), a folder whose document is
/// invalid or names another library, a weights file whose tensors are not exactly the layout's
/// (names, dtype, shapes), an identity parameter that is not the identity, and (unless
/// checksums are skipped) a weights file whose SHA-256, or a tensor whose CRC-32C, does not
/// match: a folder changed since it was written (fine-tuned, for one) is not the export.
public final class LoadedLibraryFolder: LoadedExport {
  public let path: String
  public let format: ExportFormat
  /// The graph document.
  public let graph: GraphDocument
  /// Canonical tensors' bytes, owned here.
  private let stored: [String: UnsafeMutableRawBufferPointer]

  /// Opens and checks the `library` folder at `path`.
  public init(path: String, library: ExportFormat, checksums: Bool = true) throws {
    self.path = path
    format = library
    let documentPath = path + "/" + LibraryFolder.documentFile
    let located = try LoadedBundle.document(LocatedGraphDocument<LibraryLocations>.self, at: documentPath)
    graph = located.document
    do { try graph.validate() } catch let error as GraphError {
      throw ExportFileError(path: documentPath, reason: error.message)
    }
    guard located.locations.library == library.rawValue else {
      throw ExportFileError(
        path: documentPath, reason: "describes a \(located.locations.library) folder, not \(library.rawValue)")
    }
    let manifest = graph.header.weights.tensors
    let shapes = CanonicalShapes(byName: manifest.mapValues(\.shape), path: documentPath)
    let model = try CanonicalModel(nodes: graph.nodes, shapes: shapes, input: graph.header.input)
    let layout = try Self.layout(library, model, shapes, path: documentPath)
    let weightsPath = path + "/" + LibraryFolder.weightsFile
    let file = try SafetensorsFile(path: weightsPath)
    try file.check(
      size: located.locations.file.bytes, sha256: located.locations.file.sha256, checksums: checksums,
      recordedIn: LibraryFolder.documentFile,
      meaning: "the file was changed (or is corrupt) since mixer-convert wrote it")
    if checksums {
      try Self.checkConfiguration(located.locations.configuration, of: layout, in: path, documentPath: documentPath)
    }
    let dtype = DType(rawValue: graph.header.weights.dtype)!  // validated
    let expected = Set(layout.tensors.map(\.name))
    if let extra = file.entries.keys.sorted().first(where: { !expected.contains($0) }) {
      throw ExportFileError(path: weightsPath, tensor: extra, reason: "is not part of the \(library.rawValue) layout")
    }
    var stored: [String: UnsafeMutableRawBufferPointer] = [:]
    var opened = false
    defer { if !opened { stored.values.forEach { $0.deallocate() } } }
    for tensor in layout.tensors {
      guard let entry = file.entries[tensor.name], let bytes = file.bytes(of: tensor.name) else {
        throw ExportFileError(path: weightsPath, tensor: tensor.name, reason: "is missing")
      }
      guard entry.dtype == dtype, entry.shape == tensor.shape else {
        throw ExportFileError(
          path: weightsPath, tensor: tensor.name,
          reason: "is \(entry.dtype.rawValue) \(entry.shape); the "
            + "layout of \(LibraryFolder.documentFile) makes it \(dtype.rawValue) \(tensor.shape)")
      }
      if tensor.parts.isEmpty {
        guard Array(bytes) == tensor.identityBytes(dtype) else {
          throw ExportFileError(
            path: weightsPath, tensor: tensor.name,
            reason: "is not the identity layer's parameter "
              + "mixer-convert wrote (the original has no such layer)")
        }
      }
      var offset = 0
      for part in tensor.parts {
        let count = part.shape.reduce(1, *) * dtype.itemSize
        guard let entry = manifest[part.canonical], entry.shape.reduce(1, *) * dtype.itemSize == count,
          located.locations.byTensor[part.canonical] == tensor.name
        else {
          throw ExportFileError(
            path: documentPath, tensor: part.canonical,
            reason: "does not match the \(library.rawValue) "
              + "layout (\(tensor.name))")
        }
        let canonical = part.canonicalBytes(
          UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]),
          itemSize: dtype.itemSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        canonical.withUnsafeBytes { buffer.copyMemory(from: $0) }
        stored[part.canonical] = buffer
        offset += count
        if checksums {
          // A signal caught meanwhile (a conversion verifying its export) stops the checks here.
          try Interruption.check()
          let crc = CRC32C.hex(CRC32C.checksum(UnsafeRawBufferPointer(buffer)))
          guard crc == entry.crc32c else {
            throw ExportFileError(
              path: weightsPath, tensor: tensor.name,
              reason: "CRC-32C of '\(part.canonical)' is \(crc), "
                + "expected \(entry.crc32c): the data is corrupt")
          }
        }
      }
    }
    if let missing = manifest.keys.sorted().first(where: { stored[$0] == nil }) {
      throw ExportFileError(
        path: documentPath, tensor: missing, reason: "is in no tensor of the \(library.rawValue) layout")
    }
    self.stored = stored
    opened = true
  }

  deinit { stored.values.forEach { $0.deallocate() } }

  /// The library folder layout for `model`, when the library can hold it.
  /// Refuses a configuration file (`config.json`, …) missing, or changed since it was written:
  /// the library would build another model from it than the one run and verified here.
  private static func checkConfiguration(
    _ recorded: [String: String], of layout: any LibraryLayout, in path: String, documentPath: String
  ) throws {
    let known = type(of: layout).fileNames
    for (name, sha256) in recorded.sorted(by: { $0.key < $1.key }) {
      guard known.contains(name), name != LibraryFolder.readmeFile else {
        throw ExportFileError(path: documentPath, reason: "records a configuration file '\(name)' the layout has not")
      }
      let filePath = path + "/" + name
      let bytes: [UInt8]
      do { bytes = try RegularFile.read(filePath, limit: maxConfigurationBytes) } catch {
        throw ExportFileError(path: filePath, reason: error.reason)
      }
      guard SHA256Stream.hex(of: bytes) == sha256 else {
        throw ExportFileError(
          path: filePath,
          reason: "is not the one mixer-convert wrote (its SHA-256 differs from \(LibraryFolder.documentFile)'s), "
            + "so the library would build another model from it: convert again")
      }
    }
  }

  /// The largest configuration file read: a few KiB when written (label names included).
  static let maxConfigurationBytes = 16 << 20

  static func layout(
    _ library: ExportFormat, _ model: CanonicalModel, _ shapes: CanonicalShapes, path: String
  ) throws
    -> any LibraryLayout
  {
    guard let layoutType = (library.definition as? any LibraryFolderFormat.Type)?.layoutType else {
      throw ExportFileError(path: path, reason: "\(library.rawValue) is not a library folder format")
    }
    if let refusal = layoutType.refusal(model) {
      throw ExportFileError(path: path, reason: "describes a model \(library.rawValue) cannot hold: \(refusal)")
    }
    return try layoutType.init(model, shapes: shapes, labels: nil)
  }

  /// The library of the mixer-convert folder at `path` (by its `mixer-convert.json`), if it is one.
  static func library(at path: String) -> ExportFormat? {
    struct Document: Decodable {
      struct Weights: Decodable { let storage: String; let library: String? }
      let weights: Weights
    }
    guard let bytes = try? RegularFile.read(path + "/" + LibraryFolder.documentFile, limit: JSONDocument.maxBytes),
      let document = try? JSONDecoder().decode(Document.self, from: Data(bytes)),
      document.weights.storage == LibraryLocations.storage
    else { return nil }
    return document.weights.library.flatMap(ExportFormat.init(rawValue:))
  }

  public var header: ExportHeader { graph.header }
  public var formatVersion: String { graph.formatVersion }
  public var operations: [String: Int] { graph.operationCounts }

  public func storedBytes(of name: String) -> UnsafeRawBufferPointer? {
    stored[name].map { UnsafeRawBufferPointer($0) }
  }

  public func compile(compute: Compute) throws -> ExecutionPlan {
    ExecutionPlan(graph: graph, weights: weights(), compute: compute)
  }
}
