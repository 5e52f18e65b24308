/// An `.npz` checkpoint in the original Flax names and layouts, as `np.savez` writes it
/// (formats/npz-write-back.md): a conversion's output can be the original's own format again,
/// in another dtype or at another resolution. mixer-convert reads it back as a checkpoint, not
/// as an export.
enum NpzFormat: ExportFormatDefinition {
  static let noun = "an npz checkpoint"
  static let isFolder = false
  static let suffixes = [".npz"]
  static let options: Set<ExportOption> = []
  static let isReadable = false
  static let ordersByFlaxKey = true

  static func recognizes(_ path: String) -> Bool { false }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter { try NpzExportWriter(request) }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    throw ExportFileError(path: path, reason: "is a checkpoint, not an export; give it where a checkpoint is expected")
  }

  static func files(at path: String) -> [String] { [path] }
}
