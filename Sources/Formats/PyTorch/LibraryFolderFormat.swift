/// The export format of a PyTorch library's folder: all of it follows from the library's
/// ``LibraryLayout`` and its registry case, so a library is a layout plus a few names.
protocol LibraryFolderFormat: ExportFormatDefinition {
  associatedtype Layout: LibraryLayout
  /// The format's case in the registry.
  static var library: ExportFormat { get }
}

extension LibraryFolderFormat {
  static var isFolder: Bool { true }
  static var suffixes: [String] { [] }
  static var options: Set<ExportOption> { [] }
  /// The library's config maps class indices to names.
  static var namesClasses: Bool { true }
  /// The layout type, for readers that hold only the registry case.
  static var layoutType: any LibraryLayout.Type { Layout.self }

  static func refusal(_ request: ExportWriteRequest) -> String? {
    do { return Layout.refusal(try CanonicalModel(request)) } catch { return "\(error)" }
  }

  static func recognizes(_ path: String) -> Bool { LoadedLibraryFolder.library(at: path) == library }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter {
    let layout = try Layout(try CanonicalModel(request), shapes: CanonicalShapes(request), labels: request.labels)
    return try LibraryFolderWriter(request, library: library, layout: layout)
  }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    try LoadedLibraryFolder(path: path, library: library, checksums: options.checksums)
  }

  static func files(at path: String) -> [String] { BundleFormat.files(at: path) }

  static func writtenNames(at path: String) -> Set<String> {
    Set(Layout.fileNames).union([LibraryFolder.weightsFile, LibraryFolder.documentFile])
  }
}
