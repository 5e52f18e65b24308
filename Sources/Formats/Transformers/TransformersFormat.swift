import Foundation

/// A folder Hugging Face transformers loads with `AutoModelForImageClassification` (or, for
/// features, `AutoModel`) `.from_pretrained(OUT)`, and `pipeline("image-classification")` runs
/// (formats/transformers-layout.md).
enum TransformersFormat: ExportFormatDefinition {
  static let noun = "a transformers folder"
  static let isFolder = true
  static let suffixes: [String] = []
  static let options: Set<ExportOption> = []

  static func refusal(_ request: ExportWriteRequest) -> String? {
    do { return TransformersLayout.refusal(try CanonicalModel(request)) } catch { return "\(error)" }
  }

  static func recognizes(_ path: String) -> Bool { LoadedLibraryFolder.library(at: path) == .transformers }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter {
    let layout = try TransformersLayout(
      try CanonicalModel(request), shapes: CanonicalShapes(request), labels: request.labels)
    return try LibraryFolderWriter(request, library: .transformers, layout: layout)
  }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    try LoadedLibraryFolder(path: path, library: .transformers, checksums: options.checksums)
  }

  static func files(at path: String) -> [String] { BundleFormat.files(at: path) }
}
