import Checkpoint
import Foundation
import Graph
import Kernels

/// An export opened for running: its checked graph document and the stored bytes of every
/// tensor. A bundle folder (``LoadedBundle``) or an HDF5 file (``LoadedHDF5``).
public protocol LoadedExport: AnyObject {
  /// The folder or file.
  var path: String { get }
  /// The graph document.
  var graph: GraphDocument { get }
  /// The stored bytes of a tensor (little-endian, the export's dtype), valid while the export
  /// is open.
  func storedBytes(of name: String) -> UnsafeRawBufferPointer?
}

extension LoadedExport {
  /// A tensor decoded to float32 in its canonical shape.
  public func tensor(_ name: String) -> Tensor? {
    guard let entry = graph.weights.tensors[name], let bytes = storedBytes(of: name) else { return nil }
    let dtype = DType(rawValue: graph.weights.dtype)!
    return Tensor(shape: entry.shape, scalars: ElementConversion.floats(bytes, type: dtype, order: .little))
  }

  /// Every weight, decoded to float32.
  public func weights() -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for name in graph.weights.tensors.keys { result[name] = tensor(name) }
    return result
  }
}

/// Opens exports of either kind.
public enum Exports {
  /// Opens `path`: a bundle folder, or an HDF5 file (recognised by its signature, whatever its
  /// name).
  ///
  /// - Parameters:
  ///   - checksums: verify every tensor's CRC-32C (and a bundle's shard SHA-256).
  ///   - hdf5: where libhdf5 reads an HDF5 file (see ``HDF5Reading``).
  public static func open(_ path: String, checksums: Bool = true, hdf5: HDF5Reading = .inProcess) throws
    -> any LoadedExport
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw BundleError(path: path, reason: "does not exist")
    }
    if isDirectory.boolValue { return try LoadedBundle(path: path, checksums: checksums) }
    guard isHDF5(path) else {
      throw BundleError(path: path, reason: "is neither a bundle folder nor an HDF5 file (it does not start with the HDF5 signature)")
    }
    switch hdf5 {
    case .inProcess: return try LoadedHDF5(path: path, checksums: checksums)
    case .isolated(let executable): return try HDF5Transfer.receive(path, executable: executable, checksums: checksums)
    }
  }

  /// Whether the file starts with the HDF5 signature (files written by mixer-convert have no
  /// user block, so it is at offset 0).
  public static func isHDF5(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 8)).map { Array($0) == HDF5Layout.signature } ?? false
  }
}
