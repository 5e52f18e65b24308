import FileIO
import Foundation

/// One HDF5 file in the Keras 3 weights layout, with the graph document inside
/// (formats/hdf5-layout.md).
enum HDF5Format: ExportFormatDefinition {
  static let noun = "an HDF5 file"
  static let isFolder = false
  static let suffixes = [".h5", ".hdf5"]
  static let options: Set<ExportOption> = [.compression]

  /// Files written by mixer-convert have no user block, so the signature is at offset 0.
  static func recognizes(_ path: String) -> Bool {
    guard let (descriptor, _) = try? RegularFile.open(path) else { return false }
    defer { close(descriptor) }
    return HDF5Layout.hasSignature(descriptor)
  }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter { try HDF5Writer(request) }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    switch options.hdf5 {
    case .inProcess: try LoadedHDF5(path: path, checksums: options.checksums)
    case .isolated(let executable): try HDF5Transfer.receive(path, executable: executable, checksums: options.checksums)
    }
  }

  static func files(at path: String) -> [String] { [path] }
}
