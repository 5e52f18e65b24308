import ArgumentParser
import Checkpoint
import Classification
import FileIO
import Formats
import Foundation

/// `mixer-convert classify`: JPEG and PNG images through an export.
struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Classify JPEG and PNG images with an export (or write a features export's embeddings).",
    discussion: """
      Decodes each image to RGB (JPEG through libjpeg-turbo; PNG of any colour type and bit \
      depth through libpng, alpha dropped, 16-bit reduced to 8), preprocesses it exactly as the \
      export's input contract says (bilinear resize to the model's size with half-pixel \
      centres and no antialiasing, no crop, then (pixel - 127.5) / 127.5), runs the images in batches \
      of --batch and prints each image's top classes with softmax probabilities. Labels are \
      picked by the head's size (1000: ImageNet-1k, 21843: ImageNet-21k) unless --labels \
      says otherwise. Images that cannot be read are reported one line each on standard error \
      and the exit status is 2; the others are still classified, but a features export writes \
      no --output then (its rows would no longer line up with the images given). \
      --skip-unreadable turns those lines into warnings, writes the rows of the images read and \
      exits 0 when at least one was.

      Examples:
        mixer-convert classify vit-b16/ elephant.jpg
        mixer-convert classify mixer-b16.h5 *.jpg --top 3 --json
        mixer-convert classify vit-b16-fe/ a.png b.png --output embeddings.npy
      """)

  @Argument(help: ReadableExports.argumentHelp)
  var export: String

  @Argument(help: "JPEG or PNG files.")
  var images: [String]

  @Option(help: "Classes to list per image.")
  var top = 5

  @Option(help: "imagenet1k, imagenet21k, or a file with one class per line ('wnid<TAB>name' or 'name').")
  var labels: String?

  @Option(help: "Features export: where to write the embeddings (.npy, one row per image, in order).")
  var output: String?

  @Option(help: "Images decoded and run together; bounds memory on long lists, results do not depend on it.")
  var batch = 16

  @Flag(help: "Replace --output if it exists.")
  var force = false

  @Flag(
    help: """
      Go on past images that cannot be read: a warning each, --output holds the others' rows, exit status 0 \
      when any image was read.
      """)
  var skipUnreadable = false

  @OptionGroup(title: "Running")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one image") }
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
  }

  func run() throws {
    let export = PathArgument.normalized(self.export)
    try CheckpointInsteadOfExport.refuse(export, command: "classify")
    let images = self.images.map(PathArgument.normalized)
    if let output {
      try InputGuard.check(output: output, inputs: Exports.files(of: export) + images)
      try ArrayOutputName.check(output, command: "classify")
      try ExportFormat.refuseInsideExport(output)
      try AtomicOutput.refuseExisting(output, isDirectory: false, replacing: force)
    }
    var request = ClassificationRequest(export: export, images: images)
    request.top = top
    request.labels = labels
    request.threads = running.threads
    request.batchSize = batch
    request.output = output
    request.opening = running.opening
    let failures: [ImageFailure]
    switch try Classifier.classify(request) {
    case .classes(let report):
      failures = report.failures
      if reporting.json { try Console.printJSON(report) } else if reporting.text { printText(report) }
    case .features(let report):
      failures = report.failures
      try writeFeatures(report, rows: failures.isEmpty || skips(failures))
    }
    let lines = failures.map { "\($0.path): \($0.reason)" }
    guard !failures.isEmpty, !skips(failures) else { return lines.forEach(Console.warning) }
    // One image's failure is the error itself; several are listed, then counted.
    var message = lines[0]
    if images.count > 1 {
      lines.forEach(Console.error)
      message = "\(failures.count) of \(images.count) images could not be read"
    }
    if let output {
      message += "; nothing written to \(output)"
      if failures.count < images.count { message += " (--skip-unreadable writes the others' rows)" }
    }
    throw CommandFailure(message: message, status: 2)
  }

  /// Whether --skip-unreadable lets the run go on past `failures` (not when every image failed).
  private func skips(_ failures: [ImageFailure]) -> Bool { skipUnreadable && failures.count < images.count }

  private func printText(_ report: ClassificationReport) {
    if report.labels == nil {
      Console.note("no label list for a \(report.classes)-class head; showing class indices (use --labels FILE)")
    }
    for result in report.results {
      Console.line(result.path)
      let rows = result.predictions.enumerated().map { rank, prediction in
        [
          "  \(rank + 1)", prediction.label?.name ?? "class \(prediction.index)",
          String(format: "%.2f%%", prediction.probability * 100),
        ]
      }
      for line in InspectionText.table(rows, rightAligned: [0, 2]) { Console.line(line) }
    }
  }

  /// Writes the embeddings of the images read when `rows` (no image failed, or the failures
  /// are skipped) and says what was written; with --json, also what was not, and why.
  private func writeFeatures(_ report: FeatureReport, rows: Bool) throws {
    let features = rows ? report.features : nil
    if let features {
      try NpyFile.write(features.scalars, shape: features.shape, to: report.output, replacing: force)
    }
    if reporting.json {
      try Console.printJSON(
        FeatureSummary(
          output: features.map { _ in report.output }, shape: features?.shape,
          images: features == nil ? [] : report.images, failures: report.failures))
    } else if reporting.text, let features {
      Console.line(
        "\(report.output): features \(features.shape) for \(report.images.count) image"
          + (report.images.count == 1 ? "" : "s") + ": " + report.images.joined(separator: ", "))
    }
  }
}

/// `classify --json` for a features export: the same keys whether or not rows were written.
private struct FeatureSummary: Encodable {
  let format = "mixer-convert.classify-features"
  /// The embeddings file; null when nothing was written (an image failed, or every one).
  let output: String?
  /// The rows' shape; null when nothing was written.
  let shape: [Int]?
  /// The images of the rows, in order.
  let images: [String]
  /// The images that could not be read, with the reason.
  let failures: [ImageFailure]

  enum CodingKeys: String, CodingKey { case format, output, shape, images, failures }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(format, forKey: .format)
    try container.encode(output, forKey: .output)
    try container.encode(shape, forKey: .shape)
    try container.encode(images, forKey: .images)
    try container.encode(failures, forKey: .failures)
  }
}
