import ArgumentParser
import Conversion
import Formats
import Foundation

/// `mixer-convert inspect`: the parameter tree and the recognised model.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a checkpoint's parameter tree and the model it holds, or what an export holds.",
    discussion: """
      Lists one line per folder and tensor, indented by depth: shape, dtype, parameters and \
      bytes for tensors, subtotals for folders. For a checkpoint (.npz), then totals and the \
      recognised model, with any missing, unused or misshapen tensors; without --stats only \
      the zip directory and the npy headers are read, so this is near-instant on \
      multi-gigabyte files. For an export (\(ReadableExports.nouns)), the tree is over \
      the canonical weight names, then the model, the input contract, the outputs and the \
      graph's operations.

      Examples:
        mixer-convert inspect Mixer-B_16.npz --depth 1
        mixer-convert inspect ViT-B_16.npz --filter '*encoderblock_0/*' --stats
        mixer-convert inspect ViT-B_16.npz --json | jq .model.summary
        mixer-convert inspect vit-b16.h5 --depth 1
      """)

  @Argument(help: ArgumentHelp("The .npz checkpoint, or an export: \(ReadableExports.nouns)."))
  var checkpoint: String

  @Option(help: "List only this many levels of the tree (1 = top-level folders).")
  var depth: Int?

  @Option(
    help: ArgumentHelp(
      "List only tensors whose path as shown (levels joined by '/'), or name, matches this glob ('*' also "
        + "matches '/')."))
  var filter: String?

  @Flag(help: "Read every tensor and show min, max, mean, std and NaN/Inf counts.")
  var stats = false

  @Flag(help: "Print a JSON document instead of text (schema: formats/inspect-json.md).")
  var json = false

  func validate() throws {
    if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
  }

  func run() throws {
    let path = PathArgument.normalized(checkpoint)
    let options = InspectOptions(depth: depth, filter: filter, statistics: stats)
    let nodes: [InspectionReport.Node]
    // A file named as an export (`.h5`, `.onnx`) that holds none gets the export's error, not the npz's.
    if Exports.isExport(path) || ExportFormat.claimedFile(by: path) != nil {
      let report = try Inspector.inspectExport(path: path, options: options, hdf5: HDF5ReaderCommand.isolated)
      nodes = report.nodes
      if json {
        try Console.printJSON(report)
      } else {
        InspectionText.lines(report, statistics: stats).forEach { Console.line($0) }
      }
    } else {
      let report = try Inspector.inspect(path: path, options: options)
      nodes = report.nodes
      if json {
        try Console.printJSON(report)
      } else {
        InspectionText.lines(report, statistics: stats).forEach { Console.line($0) }
      }
    }
    if let filter, !json, nodes.isEmpty {
      Console.standardError(
        "inspect: no tensor matches --filter '\(filter)' ('*' matches any run of characters, '/' included)")
    }
  }
}
