import ArgumentParser
import Checkpoint
import Conversion
import FileIO
import Formats
import Foundation
import Graph
import Kernels

/// `mixer-convert run`: an export on an input batch.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run an export on an NHWC batch (.npy) and write its output (.npy).",
    discussion: """
      The export (\(ReadableExports.nouns)) must stand on its own: \
      nothing of the original checkpoint is read. An ONNX file runs its own nodes. The input \
      is what the export's input contract describes (NHWC, the model's size, values in \
      [-1, 1]; `inspect EXPORT` shows it). --repeat N runs the batch N more times and reports \
      the median and minimum latency, so the executor can be timed without process start-up.

      Examples:
        mixer-convert run mixer-b16/ --input batch.npy --output logits.npy
        mixer-convert run vit-b16.onnx --input batch.npy --output logits.npy
        mixer-convert run mixer-b16/ --input one.npy --output out.npy --repeat 10 --threads 1
      """)

  @Argument(help: ReadableExports.argumentHelp)
  var export: String

  @Option(help: "Input batch: .npy of shape (N, H, W, 3), float or integer (converted to float32).")
  var input: String

  @Option(help: "Where to write the output .npy.")
  var output: String

  @Option(help: "Which output to write (default: the primary one, e.g. logits).")
  var outputName: String?

  @Option(help: "Run the batch this many more times and report the latency (at most 100000).")
  var `repeat` = 0

  @Flag(help: "Replace the output file if it exists.")
  var force = false

  @OptionGroup(title: "Running")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func validate() throws {
    guard (0...100_000).contains(`repeat`) else { throw ValidationError("--repeat must be from 0 to 100000") }
  }

  func run() throws {
    let export = PathArgument.normalized(self.export)
    let input = PathArgument.normalized(self.input)
    try CheckpointInsteadOfExport.refuse(export, command: "run")
    try InputGuard.check(output: PathArgument.normalized(output), inputs: [input] + Exports.files(of: export))
    try ArrayOutputName.check(output, command: "run")
    try ExportFormat.refuseInsideExport(output)
    try AtomicOutput.refuseExisting(output, isDirectory: false, replacing: force)
    let result = try Runner.run(
      export: export, inputFile: input, threads: running.threads, repeats: `repeat`, opening: running.opening)
    Console.warnOutsideRange(result.inputOutsideRange, input: input)
    let name = outputName ?? result.outputNames[0]
    guard let tensor = result.outputs[name] else {
      throw ConversionError(
        path: export, reason: "no output named '\(name)' (outputs: \(result.outputNames.joined(separator: ", ")))")
    }
    try NpyFile.write(tensor.scalars, shape: tensor.shape, to: output, replacing: force)
    let sorted = result.timings.sorted()
    let median = sorted.isEmpty ? nil : sorted[sorted.count / 2]
    if reporting.json {
      struct Summary: Encodable {
        let output: String
        let name: String
        let shape: [Int]
        let kernels: KernelPath
        let repeats: Int
        let medianSeconds: Double?
        let minimumSeconds: Double?
        /// Present when the input leaves the export's range (the warning's figures).
        let inputOutsideRange: InputOutsideRange?
      }
      try Console.printJSON(
        Summary(
          output: output, name: name, shape: tensor.shape, kernels: .selected,
          repeats: result.timings.count, medianSeconds: median, minimumSeconds: sorted.first,
          inputOutsideRange: result.inputOutsideRange))
      return
    }
    guard reporting.text else { return }
    Console.line("\(output): \(name) \(tensor.shape)")
    if let median, let minimum = sorted.first {
      let threadsText = running.threads.map { $0 == 1 ? "1 thread" : "\($0) threads" } ?? "all threads"
      Console.standardError(
        "latency per batch of \(tensor.shape[0]): median \(Formatting.milliseconds(median)), "
          + "min \(Formatting.milliseconds(minimum)) (\(sorted.count) runs, \(threadsText), "
          + "\(KernelPath.selected.rawValue) kernels)")
    }
  }
}
