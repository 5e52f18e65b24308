import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes a PyTorch library's folder: `model.safetensors` in the library's names and layouts,
/// the library's configuration files, a README and `mixer-convert.json`.
///
/// The safetensors header, with every offset, is written first; the library tensors follow in
/// the order they become complete as the canonical tensors stream in (a fused tensor when its
/// last part arrives), identity matrices last. Everything goes into a temporary sibling folder
/// that ``finish(beforeCommit:header:)`` renames into place.
final class LibraryFolderWriter: ExportWriter {
  let totalBytes: Int
  private(set) var bytesWritten = 0
  private let request: ExportWriteRequest
  private let library: ExportFormat
  private let layout: any LibraryLayout
  /// The library tensors in file order.
  private let order: [LibraryTensor]
  /// Canonical name → (position in `order`, part).
  private let placement: [String: (tensor: Int, part: Int)]
  private let output: AtomicOutput
  private let weights: SafetensorsShardWriter
  private var pending: [Int: [Int: [UInt8]]] = [:]
  private var nextCanonical = 0
  private var nextLibrary = 0
  private var checksums: [String: String] = [:]

  init(_ request: ExportWriteRequest, library: ExportFormat, layout: any LibraryLayout) throws {
    self.request = request
    self.library = library
    self.layout = layout
    totalBytes = request.totalBytes
    let index = Dictionary(uniqueKeysWithValues: request.tensors.enumerated().map { ($1.name, $0) })
    func completion(_ tensor: LibraryTensor) -> Int { tensor.parts.map { index[$0.canonical]! }.max() ?? Int.max }
    order = layout.tensors.sorted { (completion($0), $0.name) < (completion($1), $1.name) }
    var placement: [String: (tensor: Int, part: Int)] = [:]
    for (t, tensor) in order.enumerated() {
      for (p, part) in tensor.parts.enumerated() {
        precondition(placement.updateValue((t, p), forKey: part.canonical) == nil, "\(part.canonical) placed twice")
      }
    }
    let unplaced = request.tensors.map(\.name).filter { placement[$0] == nil }
    precondition(unplaced.isEmpty, "the \(library.rawValue) layout leaves out \(unplaced)")
    self.placement = placement
    output = try AtomicOutput(
      finalPath: request.path, isDirectory: true, replacing: request.replacing,
      displacedRefusal: ExportFormat.replacementRefusal)
    weights = try SafetensorsShardWriter(
      in: output, fileName: LibraryFolder.weightsFile,
      tensors: order.map { ($0.name, request.dtype, $0.shape) }, metadata: LibraryFolder.weightsMetadata)
  }

  func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    precondition(
      nextCanonical < request.tensors.count && request.tensors[nextCanonical].name == name,
      "tensors must be written in the planned order")
    let count = request.tensors[nextCanonical].shape.reduce(1, *) * request.dtype.itemSize
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var crc: UInt32 = 0
    try produce { chunk in
      guard bytes.count + chunk.count <= count else {
        throw ExportFileError(path: self.request.path, tensor: name, reason: "received more than \(count) bytes")
      }
      crc = CRC32C.checksum(chunk, continuing: crc)
      bytes.append(contentsOf: chunk)
      self.bytesWritten += chunk.count
    }
    guard bytes.count == count else {
      throw ExportFileError(
        path: request.path, tensor: name, reason: "received \(bytes.count) bytes, expected \(count)")
    }
    checksums[name] = CRC32C.hex(crc)
    nextCanonical += 1
    let (tensor, part) = placement[name]!
    pending[tensor, default: [:]][part] = bytes.withUnsafeBytes {
      order[tensor].parts[part].libraryBytes($0, itemSize: request.dtype.itemSize)
    }
    try writeCompleted()
  }

  /// Writes the library tensors whose parts have all arrived, in file order.
  private func writeCompleted() throws {
    while nextLibrary < order.count, !order[nextLibrary].parts.isEmpty,
      let parts = pending[nextLibrary], parts.count == order[nextLibrary].parts.count
    {
      for part in order[nextLibrary].parts.indices { try parts[part]!.withUnsafeBytes { try weights.write($0) } }
      pending[nextLibrary] = nil
      nextLibrary += 1
    }
  }

  func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport {
    precondition(nextCanonical == request.tensors.count, "\(library.rawValue) folder closed with tensors unwritten")
    for tensor in order[nextLibrary...] {
      precondition(tensor.parts.isEmpty, "\(tensor.name) incomplete")
      try tensor.identityBytes(request.dtype).withUnsafeBytes { try weights.write($0) }
    }
    let file = try weights.finish()
    let document = GraphDocument(header: try header(checksums), nodes: request.nodes)
    try document.validate()
    var located: [String: String] = [:]
    for tensor in order { for part in tensor.parts { located[part.canonical] = tensor.name } }
    var files = try layout.files(header: document.header)
    // What the library builds the model from is recorded, so that a changed one is found.
    var configuration: [String: String] = [:]
    for (name, bytes) in files where name != LibraryFolder.readmeFile {
      configuration[name] = SHA256Stream.hex(of: bytes)
    }
    let locations = LibraryLocations(
      library: library.rawValue, file: file, byTensor: located, configuration: configuration)
    files.append((LibraryFolder.documentFile, try BundleLayout.json(LocatedGraphDocument(document, locations))))
    for (name, bytes) in files { try output.writeFile(name, bytes) }
    try beforeCommit(StagedFiles(path: output.temporaryPath))
    let written = [LibraryFolder.weightsFile] + files.map(\.name)
    let identity = try output.commit(madeOf: written.map { output.finalPath + "/" + $0 })
    return WrittenExport(
      storage: "in \(library.rawValue) layout", files: written, notes: layout.notes, identity: identity)
  }
}
