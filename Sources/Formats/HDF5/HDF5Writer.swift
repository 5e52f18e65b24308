import CHDF5
import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes an HDF5 export (formats/hdf5-layout.md) through libhdf5: every weight as a dataset
/// at `layers/<node>/vars/<i>` (the Keras 3 weights-file layout) hard-linked as
/// `weights/<name>`, with its provenance in attributes, and the graph document as the string
/// dataset `graph.json`.
///
/// The file is written as a temporary sibling renamed into place by ``finish(beforeCommit:header:)``, with
/// nothing in it that depends on the time (object timestamps are off), so the same input
/// gives the same bytes. One tensor is held in memory at a time.
final class HDF5Writer: ExportWriter {
  public let dtype: DType
  public let totalBytes: Int
  public private(set) var bytesWritten = 0
  private let output: AtomicOutput
  private let calls: HDF5Calls
  private var file: HDF5Handle?
  private let tensors: [ExportTensor]
  private let compressed: Bool
  private let nodes: [Node]
  private var next = 0
  private var groups: Set<String> = []
  private var locations: [String: String] = [:]
  private var checksums: [String: String] = [:]
  /// One tensor's bytes, reused: allocated once for the largest.
  private let staging: UnsafeMutableRawBufferPointer

  /// Creates the temporary file; with `request.options.compressed` every dataset is stored in
  /// chunks, shuffled and gzip-compressed.
  init(_ request: ExportWriteRequest) throws {
    let (path, dtype, tensors) = (request.path, request.dtype, request.tensors)
    self.dtype = dtype
    self.tensors = tensors
    compressed = request.options.compressed
    nodes = request.nodes
    totalBytes = request.totalBytes
    staging = .allocate(
      byteCount: max(1, tensors.map { $0.shape.reduce(1, *) * dtype.itemSize }.max() ?? 1), alignment: 64)
    output = try AtomicOutput(finalPath: path, isDirectory: false, replacing: request.replacing)
    calls = HDF5Calls(path: path)
    try HDF5Library.require(calls)
    _ = try HDF5Layout.fileType(dtype, calls)
    file = try calls.file(output.temporaryPath, .create, or: calls.error("libhdf5 cannot create the file beside it"))
    try calls.writeAttribute(file!.id, "format", HDF5Layout.formatName)
    try calls.writeAttribute(file!.id, "format_version", HDF5Layout.formatVersion)
  }

  deinit { staging.deallocate() }

  public func writeTensor(
    _ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  )
    throws
  {
    precondition(next < tensors.count && tensors[next].name == name, "tensors must be written in the planned order")
    try Interruption.check()
    let tensor = tensors[next]
    let count = tensor.shape.reduce(1, *) * dtype.itemSize
    var filled = 0
    try produce { chunk in
      guard filled + chunk.count <= count else {
        throw self.calls.error("received more than \(count) bytes", tensor: name)
      }
      UnsafeMutableRawBufferPointer(rebasing: self.staging[filled..<(filled + chunk.count)]).copyMemory(from: chunk)
      filled += chunk.count
      self.bytesWritten += chunk.count
    }
    guard filled == count else { throw calls.error("received \(filled) bytes, expected \(count)", tensor: name) }
    let bytes = UnsafeRawBufferPointer(rebasing: staging[0..<count])
    let path = HDF5Layout.datasetPath(node: tensor.node, index: tensor.slot)
    try writeDataset(path, shape: tensor.shape, bytes: bytes, tensor: name)
    locations[name] = path
    checksums[name] = CRC32C.hex(CRC32C.checksum(bytes))
    next += 1
  }

  /// Creates the dataset (and any missing parent group) and writes its bytes.
  private func writeDataset(_ path: String, shape: [Int], bytes: UnsafeRawBufferPointer, tensor: String) throws {
    let file = file!.id
    let parts = path.split(separator: "/").map(String.init)
    for depth in 1..<parts.count {
      let group = parts[0..<depth].joined(separator: "/")
      if groups.insert(group).inserted { try createGroup(group) }
    }
    let type = try HDF5Layout.fileType(dtype, calls)
    let space = try calls.simpleSpace(shape)
    let properties = try calls.propertyList(mc_h5p_dataset_create())
    try calls.check(H5Pset_obj_track_times(properties.id, false), "cannot turn off timestamps")
    if compressed {
      let rowBytes = shape.dropFirst().reduce(1, *) * dtype.itemSize
      let rows = max(1, min(shape[0], HDF5Layout.chunkBytes / max(rowBytes, 1)))
      let chunk = ([rows] + shape.dropFirst()).map { hsize_t($0) }
      try calls.check(H5Pset_chunk(properties.id, Int32(chunk.count), chunk), "cannot set chunks for '\(path)'")
      try calls.check(H5Pset_shuffle(properties.id), "cannot set the shuffle filter")
      try calls.check(H5Pset_deflate(properties.id, HDF5Layout.compressionLevel), "cannot set gzip compression")
    }
    let dataset = try HDF5Handle(
      H5Dcreate2(file, path, type.id, space.id, mc_h5p_default(), properties.id, mc_h5p_default()),
      close: H5Dclose, or: calls.error("cannot create dataset '\(path)'", tensor: tensor))
    try calls.writeAndClose(dataset, "cannot write dataset '\(path)'") {
      H5Dwrite(dataset.id, type.id, mc_h5s_all(), mc_h5s_all(), mc_h5p_default(), bytes.baseAddress)
    }
  }

  private func createGroup(_ path: String) throws {
    let properties = try calls.propertyList(mc_h5p_group_create())
    try calls.check(H5Pset_obj_track_times(properties.id, false), "cannot turn off timestamps")
    _ = try HDF5Handle(
      H5Gcreate2(file!.id, path, mc_h5p_default(), properties.id, mc_h5p_default()), close: H5Gclose,
      or: calls.error("cannot create group '\(path)'"))
  }

  public func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport {
    precondition(next == tensors.count, "HDF5 file closed with tensors unwritten")
    let document = GraphDocument(header: try header(checksums), nodes: nodes)
    try document.validate()
    let handle = file!.id
    try createGroup(HDF5Layout.weightsGroup)
    for name in document.header.weights.tensors.keys.sorted() {
      let entry = document.header.weights.tensors[name]!
      let path = locations[name]!
      let dataset = try HDF5Handle(
        H5Dopen2(handle, path, mc_h5p_default()), close: H5Dclose,
        or: calls.error("cannot reopen dataset '\(path)'", tensor: name))
      try describe(dataset.id, name: name, entry: entry)
      try calls.check(
        H5Lcreate_hard(handle, path, handle, HDF5Layout.weightLink(name), mc_h5p_default(), mc_h5p_default()),
        "cannot link '\(path)' as '\(HDF5Layout.weightLink(name))'")
    }
    try writeGraph(LocatedGraphDocument(document, HDF5Locations(byTensor: locations)))
    try calls.writing("libhdf5 cannot complete the file") { file!.closeNow() }
    file = nil
    try beforeCommit(StagedFiles(path: output.temporaryPath))
    let identity = try output.commit()
    let onDisk = HDF5Format.files(at: output.finalPath).reduce(0) { $0 + (RegularFile.size(at: $1) ?? 0) }
    let compression =
      compressed && onDisk < totalBytes
      ? String(format: " (%.1f MiB compressed)", Double(onDisk) / 1_048_576) : ""
    return WrittenExport(
      storage: "in HDF5" + compression, files: [(output.finalPath as NSString).lastPathComponent], identity: identity)
  }

  /// The dataset's attributes: what it is and where it came from.
  private func describe(_ dataset: hid_t, name: String, entry: TensorEntry) throws {
    try calls.writeAttribute(dataset, "name", name)
    try calls.writeAttribute(dataset, "dtype", dtype.rawValue)
    try calls.writeAttribute(dataset, "source", entry.source)
    try calls.writeAttribute(dataset, "source_dtype", entry.sourceDtype)
    try calls.writeAttribute(dataset, "source_shape", entry.sourceShape)
    try calls.writeAttribute(dataset, "crc32c", entry.crc32c)
    if let transform = entry.transform { try calls.writeAttribute(dataset, "transform", transform.description) }
  }

  private func writeGraph(_ document: LocatedGraphDocument<HDF5Locations>) throws {
    let json = String(decoding: try BundleLayout.json(document), as: UTF8.self)
    let type = try calls.utf8StringType()
    let space = try calls.scalarSpace()
    let properties = try calls.propertyList(mc_h5p_dataset_create())
    try calls.check(H5Pset_obj_track_times(properties.id, false), "cannot turn off timestamps")
    let dataset = try HDF5Handle(
      H5Dcreate2(
        file!.id, HDF5Layout.graphDataset, type.id, space.id, mc_h5p_default(), properties.id, mc_h5p_default()),
      close: H5Dclose, or: calls.error("cannot create dataset '\(HDF5Layout.graphDataset)'"))
    try calls.writeAndClose(dataset, "cannot write '\(HDF5Layout.graphDataset)'") {
      mc_h5d_write_string(dataset.id, type.id, json)
    }
  }
}
