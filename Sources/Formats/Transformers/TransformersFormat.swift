/// A folder Hugging Face transformers loads with `AutoModelForImageClassification` (or, for
/// features, `AutoModel`) `.from_pretrained(OUT)`, and `pipeline("image-classification")` runs
/// (formats/transformers-layout.md).
enum TransformersFormat: LibraryFolderFormat {
  typealias Layout = TransformersLayout
  static let library = ExportFormat.transformers
  static let noun = "a transformers folder"
}
