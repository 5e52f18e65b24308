import ArgumentParser
import Conversion
import Foundation

/// `mixer-convert inspect`: the parameter tree and the recognised model.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a checkpoint's parameter tree and the model it holds.",
    discussion: """
      Lists one line per folder and tensor, indented by depth: shape, dtype, parameters and \
      bytes for tensors, subtotals for folders. Then totals and the recognised model, with any \
      missing, unused or misshapen tensors. Without --stats only the zip directory and the npy \
      headers are read, so this is near-instant on multi-gigabyte files.

      Examples:
        mixer-convert inspect Mixer-B_16.npz --depth 1
        mixer-convert inspect ViT-B_16.npz --filter '*encoderblock_0/*' --stats
        mixer-convert inspect ViT-B_16.npz --json | jq .model.summary
      """)

  @Argument(help: "The .npz checkpoint.")
  var checkpoint: String

  @Option(help: "List only this many levels of the tree (1 = top-level folders).")
  var depth: Int?

  @Option(help: "List only tensors whose path matches this glob ('*' also matches '/').")
  var filter: String?

  @Flag(help: "Read every tensor and show min, max, mean, std and NaN/Inf counts.")
  var stats = false

  @Flag(help: "Print a JSON document instead of text (schema: formats/inspect-json.md).")
  var json = false

  func validate() throws {
    if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
  }

  func run() throws {
    let report = try Inspector.inspect(
      path: checkpoint, options: InspectOptions(depth: depth, filter: filter, statistics: stats))
    if json {
      try Console.printJSON(report)
    } else {
      for line in InspectionText.lines(report, statistics: stats) { print(line) }
    }
  }
}
