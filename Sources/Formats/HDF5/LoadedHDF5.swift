import CHDF5
import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// An HDF5 export opened for running: the graph document read from `graph.json`, every weight
/// read from its dataset and checked.
///
/// Opening refuses, with one line naming the file and tensor, anything but a regular file, a
/// file libhdf5 cannot open (truncated, corrupt, not HDF5), one without the format attributes
/// or the graph document, an invalid graph, tensors that together claim more than the
/// ``MemoryBudget``, any object reached through a link other than a hard link (an external
/// link reads another file), and any dataset whose element type, shape or storage is not what
/// the manifest says: virtual or external datasets (which read other files), filters other
/// than shuffle and gzip, more data claimed than its storage can hold, or (unless checksums are
/// skipped) a CRC-32C that does not match.
public final class LoadedHDF5: LoadedExport {
  public let path: String
  public let graph: GraphDocument
  private let buffers = TensorBuffers()

  /// The most a gzip stream expands (deflate's limit is about 1032:1).
  private static let maxExpansion = 1100

  /// Opens and checks an HDF5 export, reading every tensor into memory.
  ///
  /// - Parameter checksums: verify every tensor's CRC-32C.
  public convenience init(path: String, checksums: Bool = true) throws {
    try self.init(path: path, checksums: checksums, reserving: { _ in })
  }

  /// Opens and checks an HDF5 export; `reserving` is told how many bytes the tensors take
  /// together, once the graph is read and before any is allocated.
  init(path: String, checksums: Bool, reserving: (Int) throws -> Void) throws {
    self.path = path
    let calls = HDF5Calls(path: path)
    try HDF5Library.require(calls)
    let (descriptor, fileSize): (Int32, Int)
    do { (descriptor, fileSize) = try RegularFile.open(path) } catch { throw calls.error(error.reason) }
    defer { close(descriptor) }
    guard HDF5Layout.hasSignature(descriptor) else {
      throw calls.error("is not an HDF5 file (it does not start with the HDF5 signature)")
    }
    #if os(Linux)
    // libhdf5 opens files by name; this name leads to the very file just checked.
    let name = "/proc/self/fd/\(descriptor)"
    #else
    let name = path
    #endif
    let file = try calls.file(
      name, .readOnly, or: calls.error("libhdf5 cannot open it: the file is truncated or corrupt"))
    guard try calls.readStringAttribute(file.id, "format") == HDF5Layout.formatName else {
      throw calls.error("is not a mixer-convert export (no root attribute format = \"\(HDF5Layout.formatName)\")")
    }
    let version = try calls.readStringAttribute(file.id, "format_version") ?? "?"
    guard version.split(separator: ".").first == HDF5Layout.formatVersion.split(separator: ".").first else {
      throw calls.error(
        "HDF5 layout version \(version) is not supported (this reader knows \(HDF5Layout.formatVersion))")
    }
    let stored = try Self.readGraph(file.id, calls)
    graph = stored.document
    let dtype = DType(rawValue: graph.header.weights.dtype)!  // one of the export dtypes: the graph is validated
    let tensors = graph.header.weights.tensors.sorted(by: { $0.key < $1.key })
    let total = graph.header.weights.totalBytes!  // the graph is validated
    if let refusal = MemoryBudget.refusal(tensorBytes: total) { throw calls.error(refusal) }
    try reserving(total)
    for (name, entry) in tensors {
      let bytes = entry.shape.reduce(1, *) * dtype.itemSize
      let buffer = buffers.allocate(name, count: bytes)
      try Self.read(
        name, entry, dataset: stored.locations.byTensor[name]!, dtype: dtype, from: file.id, into: buffer,
        fileSize: fileSize, calls)
      if checksums {
        // A signal caught meanwhile (a conversion verifying its export) stops the checks here.
        try Interruption.check()
        let crc = CRC32C.hex(CRC32C.checksum(UnsafeRawBufferPointer(buffer)))
        guard crc == entry.crc32c else {
          throw calls.error("CRC-32C is \(crc), expected \(entry.crc32c): the data is corrupt", tensor: name)
        }
      }
    }
  }

  public var format: ExportFormat { .hdf5 }
  public var header: ExportHeader { graph.header }
  public var formatVersion: String { graph.formatVersion }
  public var operations: [String: Int] { graph.operationCounts }

  public func storedBytes(of name: String) -> UnsafeRawBufferPointer? { buffers[name] }

  public func compile(compute: Compute) throws -> ExecutionPlan {
    ExecutionPlan(graph: graph, weights: weights(), compute: compute)
  }

  private static func readGraph(_ file: hid_t, _ calls: HDF5Calls) throws -> LocatedGraphDocument<HDF5Locations> {
    let location = "dataset '\(HDF5Layout.graphDataset)'"
    guard try calls.hardLinked(file, HDF5Layout.graphDataset) else {
      throw calls.error("has no '\(HDF5Layout.graphDataset)' dataset")
    }
    let dataset = try HDF5Handle(
      H5Dopen2(file, HDF5Layout.graphDataset, mc_h5p_default()), close: H5Dclose,
      or: calls.error("cannot open the '\(HDF5Layout.graphDataset)' dataset"))
    let text = try calls.readString(
      dataset.id, what: "dataset '\(HDF5Layout.graphDataset)'", read: mc_h5d_read_string,
      type: H5Dget_type, space: H5Dget_space)
    let stored: LocatedGraphDocument<HDF5Locations>
    do {
      stored = try JSONDocument.decode(
        LocatedGraphDocument<HDF5Locations>.self, from: Data(text.utf8), path: calls.path)
    } catch let error as ExportFileError {
      throw calls.error("\(location): \(error.reason)")
    }
    do { try stored.document.validate() } catch let error as GraphError {
      throw calls.error("\(location): \(error.message)")
    }
    return stored
  }

  /// Reads one tensor's dataset after checking it is what the manifest says.
  private static func read(
    _ name: String, _ entry: TensorEntry, dataset path: String, dtype: DType, from file: hid_t,
    into buffer: UnsafeMutableRawBufferPointer, fileSize: Int, _ calls: HDF5Calls
  ) throws {
    func fail(_ reason: String) -> ExportFileError { calls.error("dataset '\(path)' " + reason, tensor: name) }
    guard try calls.hardLinked(file, path, tensor: name) else { throw fail("is missing") }
    let dataset = try HDF5Handle(H5Dopen2(file, path, mc_h5p_default()), close: H5Dclose, or: fail("cannot be opened"))
    let type = try HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose, or: fail("has an unreadable type"))
    guard HDF5Layout.matches(type.id, dtype) else { throw fail("does not hold \(dtype.rawValue) elements") }
    if let stated = try calls.readStringAttribute(dataset.id, "dtype"), stated != dtype.rawValue {
      throw fail("says dtype '\(stated)' but the export is \(dtype.rawValue)")
    }
    let space = try HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose, or: fail("has an unreadable shape"))
    let rank = Int(H5Sget_simple_extent_ndims(space.id))
    guard rank == entry.shape.count else { throw fail("has rank \(rank), the manifest says shape \(entry.shape)") }
    var dims = [hsize_t](repeating: 0, count: rank)
    guard H5Sget_simple_extent_dims(space.id, &dims, nil) == rank, dims.map({ Int($0) }) == entry.shape else {
      throw fail("has shape \(dims), the manifest says \(entry.shape)")
    }
    let properties = try HDF5Handle(
      H5Dget_create_plist(dataset.id), close: H5Pclose, or: fail("has unreadable properties"))
    let layout = H5Pget_layout(properties.id)
    guard layout == H5D_CONTIGUOUS || layout == H5D_CHUNKED || layout == H5D_COMPACT else {
      throw fail("is a virtual dataset, which reads other files: refused")
    }
    guard H5Pget_external_count(properties.id) == 0 else { throw fail("keeps its data in external files: refused") }
    for index in 0..<max(0, H5Pget_nfilters(properties.id)) {
      var flags: UInt32 = 0
      var count = 0
      var config: UInt32 = 0
      let filter = H5Pget_filter2(properties.id, UInt32(index), &flags, &count, nil, 0, nil, &config)
      guard filter == mc_h5z_filter_deflate() || filter == mc_h5z_filter_shuffle() else {
        throw fail("uses HDF5 filter \(filter); only shuffle and gzip are read")
      }
    }
    let bytes = entry.shape.reduce(1, *) * dtype.itemSize
    let stored = Int(clamping: H5Dget_storage_size(dataset.id))
    guard stored <= fileSize else { throw fail("claims \(stored) bytes of storage in a \(fileSize)-byte file") }
    if layout == H5D_CHUNKED {
      guard bytes <= stored * maxExpansion + (1 << 20) else {
        throw fail("claims \(bytes) bytes from \(stored) bytes of storage, more than compression can give")
      }
    } else {
      guard stored == bytes else { throw fail("stores \(stored) bytes, \(bytes) expected") }
    }
    guard H5Dread(dataset.id, type.id, mc_h5s_all(), mc_h5s_all(), mc_h5p_default(), buffer.baseAddress) >= 0 else {
      throw fail("cannot be read: the file is truncated or corrupt")
    }
  }
}
