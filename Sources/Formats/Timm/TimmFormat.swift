/// A folder timm loads with `timm.create_model('local-dir:OUT', pretrained=True)`
/// (formats/timm-layout.md).
enum TimmFormat: LibraryFolderFormat {
  typealias Layout = TimmLayout
  static let library = ExportFormat.timm
  static let noun = "a timm folder"
}
