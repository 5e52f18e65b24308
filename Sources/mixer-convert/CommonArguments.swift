import ArgumentParser
import FileIO
import Formats
import Foundation

/// The options of every command that runs a model: `run`, `verify`, `classify`, and `convert`
/// and `convert-all` with `--verify`.
struct ModelRunArguments: ParsableArguments {
  @Option(help: "Threads per operation (default: every core this process may run on, as taskset or a cpuset allows).")
  var threads: Int?

  @Flag(help: "Skip the CRC-32C and SHA-256 checks of the export's weights.")
  var noChecksum = false

  /// How the export is opened: checksums as asked, HDF5 files in a child reader.
  var opening: OpenOptions { OpenOptions(checksums: !noChecksum, hdf5: HDF5ReaderCommand.isolated) }

  /// The most threads an operation may ask for.
  static let maxThreads = 1024

  func validate() throws {
    if let threads, threads < 1 || threads > Self.maxThreads {
      throw ValidationError("--threads must be between 1 and \(Self.maxThreads)")
    }
  }

  /// Refuses these options where they would be ignored: a conversion without `--verify` runs
  /// no model and opens no export.
  func refuseWithoutVerify(_ verify: Bool) throws {
    guard !verify, let flag = threads != nil ? "--threads" : noChecksum ? "--no-checksum" : nil else { return }
    throw ValidationError("\(flag) applies with --verify (converting runs no model and opens no export)")
  }
}

/// How a command reports: text, nothing but errors, or JSON (errors included, as
/// `{"error": …}` on standard output).
struct ReportArguments: ParsableArguments {
  @Flag(help: "Print nothing but errors and warnings (an input outside the model's range, say).")
  var quiet = false

  @Flag(help: "Print the result as JSON on standard output (errors too, as {\"error\": …}).")
  var json = false

  /// Whether the text report is printed.
  var text: Bool { !quiet && !json }

  func validate() throws {
    if quiet && json { throw ValidationError("--quiet and --json exclude each other") }
  }
}

/// How help names what `run`, `verify`, `classify` and `inspect` read: every readable format,
/// from the registry, so a new format shows up without editing the help.
enum ReadableExports {
  /// `a bundle folder, an HDF5 file, an ONNX file, a timm folder or a transformers folder`.
  static let nouns = ExportFormat.allCases.filter(\.isReadable).map(\.noun).listed("or")

  /// The help of an export argument.
  static let argumentHelp = ArgumentHelp("The export: \(nouns).")
}
