import ArgumentParser
import Checkpoint
import Conversion
import Formats
import Foundation
import Models

/// `mixer-convert synth`: synthetic checkpoints with the layout of a released model.
struct Synth: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Write a synthetic checkpoint with exactly the keys and shapes of a released model.",
    discussion: """
      MODEL is an upstream model name, case-insensitive: Mixer-B_16, ViT-B_16, \
      R50+ViT-B_16, ViT-B_16-gap-norep, … (see --list). Values are seeded and reproducible: \
      the same MODEL, --seed and options give the same file, byte for byte. They are scaled \
      like trained weights (kernels ~ 1/sqrt(fan_in)), so forward passes give sane logits.

      Examples:
        mixer-convert synth Mixer-B_16 mixer-b16.npz
        mixer-convert synth ViT-B_16 vit.npz --naming linen --dtype bfloat16
        mixer-convert synth --list
      """)

  @Argument(help: "Upstream model name (see --list).")
  var model: String?

  @Argument(help: "Output .npz path.")
  var output: String?

  @Flag(help: "List the models synth can write, with their parameter counts.")
  var list = false

  @Option(help: "Seed of the random values.")
  var seed: UInt64 = 0

  @Option(help: "Classes of the head; 0 writes no head (a feature extractor).")
  var classes: Int = ModelCatalog.defaultClasses

  @Option(
    help:
      "ViT encoder-block names: released (LayerNorm_0, MultiHeadDotProductAttention_1, LayerNorm_2, MlpBlock_3) or linen (…_0, …_0, LayerNorm_1, MlpBlock_0)."
  )
  var naming: BlockNaming = .released

  @Flag(help: "Deflate every member, as np.savez_compressed does.")
  var compress = false

  @Option(help: "Element type: float32, float16 or bfloat16 (saved as '<V2', as JAX does).")
  var dtype: SynthDType = .float32

  @Flag(help: "Replace the output if it exists.")
  var force = false

  @Flag(help: "Print nothing but errors.")
  var quiet = false

  @Flag(help: "Print a JSON summary (or, with --list, the model list) on standard output.")
  var json = false

  func validate() throws {
    if list {
      guard model == nil, output == nil else { throw ValidationError("--list takes no MODEL or output path") }
      return
    }
    guard let model else { throw ValidationError("give a MODEL and an output path, or --list") }
    guard ModelCatalog.entry(named: model) != nil else {
      throw ValidationError("unknown model '\(model)'; see 'mixer-convert synth --list'")
    }
    guard let output else { throw ValidationError("missing the output path") }
    // Another suffix (an export's, .npy, .safetensors) would name an npz checkpoint as what it is not.
    if PathArgument.hasOtherSuffix(output, than: ".npz") {
      let format = ExportFormat.implied(by: output)
      throw ValidationError(
        "\(output): synth writes an .npz checkpoint" + (format.map { ", not \($0.noun)" } ?? "") + "; name it .npz"
          + (format == nil ? "" : " (and convert it after)"))
    }
    guard (0...Synthesizer.maxClasses).contains(classes) else {
      throw ValidationError("--classes must be from 0 to \(Synthesizer.maxClasses)")
    }
  }

  func run() throws {
    if list { return try printList() }
    var request = SynthesisRequest(model: ModelCatalog.entry(named: model!)!)
    request.seed = seed
    request.classes = classes == 0 ? nil : classes
    request.naming = naming
    request.compression = compress ? .deflate : .stored
    request.dtype = dtype.dtype
    request.replacing = force
    let progress = ProgressBar(label: "synth", enabled: !quiet && !json)
    let summary = try Synthesizer.write(request, to: output!) { progress.update(done: $0, total: $1) }
    progress.finish()
    if json { return try Console.printJSON(summary) }
    if quiet { return }
    Console.line(
      "\(summary.path): \(ModelCatalog.displayName(summary.model)) · \(groupedDigits(summary.parameters)) params · "
        + "\(summary.tensors) tensors · \(Formatting.bytes(summary.fileBytes)) · \(Formatting.seconds(summary.seconds))"
    )
  }

  private func printList() throws {
    struct Row: Encodable {
      let name: String
      let family: ModelFamily
      let parameters: Int
      let imageSize: Int?
    }
    let rows = ModelCatalog.entries.map {
      Row(
        name: $0.name, family: $0.architecture.family, parameters: $0.architecture.layout.parameterCount,
        imageSize: $0.architecture.imageSize)
    }
    if json { return try Console.printJSON(rows) }
    let table =
      [["model", "family", "params (1000 classes)", "input"]]
      + rows.map {
        [$0.name, $0.family.rawValue, groupedDigits($0.parameters), $0.imageSize.map { "\($0) px" } ?? ""]
      }
    for line in InspectionText.table(table, rightAligned: [2, 3]) { Console.line(line) }
  }
}

/// The element types `synth` writes.
enum SynthDType: String, ExpressibleByArgument, CaseIterable {
  case float32, float16, bfloat16
  var dtype: DType { DType(rawValue: rawValue)! }
}

extension BlockNaming: ExpressibleByArgument {}
