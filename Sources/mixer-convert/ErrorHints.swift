import FileIO

/// The error line of a failed command: the library's message, then the flag that helps where
/// the error names a ``Remedy`` (the library knows nothing of flags).
enum ErrorHints {
  static func line(for error: Error) -> String {
    guard let remedy = (error as? RemediableError)?.remedy else { return "\(error)" }
    return "\(error)" + hint(remedy)
  }

  /// How the command line applies `remedy`.
  static func hint(_ remedy: Remedy) -> String {
    switch remedy {
    case .replaceOutput: "; pass --force to replace it"
    case .allowUnusedTensors: "; pass --allow-unused to convert anyway"
    case .chooseImageSize: " (--image-size)"
    case .chooseClassifier: " (--classifier)"
    case .exportFeatures: ": pass --variant features"
    case .dropEmbeddingsFile: ": leave out --output (--json gives the top classes' logits, `run` all of them)"
    case .nameEmbeddingsFile: ": give --output FILE.npy for them"
    case .chooseWiderDType: "; choose a wider --dtype"
    }
  }
}
