/// What a user can change to get past a refusal, named by the library in its own terms; a
/// front end says how (the command line names its flag).
public enum Remedy: String, Sendable, Equatable {
  /// Allow the existing output to be replaced.
  case replaceOutput
  /// Accept a checkpoint that holds tensors the model does not use.
  case allowUnusedTensors
  /// Choose another input resolution, or none.
  case chooseImageSize
  /// Choose another ViT pooling, or none.
  case chooseClassifier
  /// Export the pooled features instead of the classification.
  case exportFeatures
  /// Ask for the top classes (or the raw outputs) instead of an embeddings file.
  case dropEmbeddingsFile
  /// Name the file that receives a features export's embeddings.
  case nameEmbeddingsFile
  /// Store the weights in a dtype of a wider range.
  case chooseWiderDType
}

/// An error that may name a ``Remedy``.
public protocol RemediableError: Error {
  /// What the user can change, when something can.
  var remedy: Remedy? { get }
}
