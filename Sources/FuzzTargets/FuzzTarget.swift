/// One parser of untrusted bytes, exercised by the coverage-guided fuzzer (`make fuzz`) and, on
/// the committed corpora and crash regressions, by the tests.
///
/// `run` feeds it one input; it must return whatever the bytes are. Errors are the expected
/// outcome for almost every input and are ignored; a trap, a sanitizer report, a hang or a
/// runaway allocation is a bug.
public struct FuzzTarget: Sendable {
  /// The target's name: its corpus folder under `Fuzz/Corpus` and the `mixer-fuzz` argument.
  public let name: String
  /// What it parses, in a few words.
  public let summary: String
  /// Feeds it one input.
  public let run: @Sendable (UnsafeRawBufferPointer) -> Void
}

/// What the targets that need more than the input's bytes are given.
public struct FuzzEnvironment: Sendable {
  /// The `mixer-convert` binary, which the HDF5 target starts as its reader child.
  public var childExecutable: String
  /// A bundle folder whose index and shards the graph target puts beside each `graph.json`
  /// (the tiny bundle `make fuzz` converts from `Tests/Fixtures/mixer_tiny`).
  public var bundleTemplate: String

  public init(childExecutable: String, bundleTemplate: String) {
    self.childExecutable = childExecutable
    self.bundleTemplate = bundleTemplate
  }
}

/// Every fuzz target. Adding one is a file in this folder defining a ``FuzzTarget``, a line in
/// ``all(_:)`` and a folder of seed inputs `Fuzz/Corpus/<name>`.
public enum FuzzTargets {
  /// The targets.
  public static func all(_ environment: FuzzEnvironment) -> [FuzzTarget] {
    [
      npyTarget,
      npzTarget,
      safetensorsTarget,
      graphTarget(bundleTemplate: environment.bundleTemplate),
      pngTarget,
      jpegTarget,
      hdf5Target(childExecutable: environment.childExecutable),
      onnxTarget,
    ]
  }
}
