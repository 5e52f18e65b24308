import Foundation

/// A folder timm loads with `timm.create_model('local-dir:OUT', pretrained=True)`
/// (formats/timm-layout.md).
enum TimmFormat: ExportFormatDefinition {
  static let noun = "a timm folder"
  static let isFolder = true
  static let suffixes: [String] = []
  static let options: Set<ExportOption> = []

  static func refusal(_ request: ExportWriteRequest) -> String? {
    do { return TimmArchitecture.refusal(try CanonicalModel(request)) } catch { return "\(error)" }
  }

  static func recognizes(_ path: String) -> Bool { LoadedLibraryFolder.library(at: path) == .timm }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter {
    let layout = try TimmLayout(try CanonicalModel(request), shapes: CanonicalShapes(request), labels: request.labels)
    return try LibraryFolderWriter(request, library: .timm, layout: layout)
  }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    try LoadedLibraryFolder(path: path, library: .timm, checksums: options.checksums)
  }

  static func files(at path: String) -> [String] { BundleFormat.files(at: path) }
}
