import Checkpoint
import Graph
import Kernels
import Models
import Runtime
import TestSupport
import Testing

/// Both forward paths against the logits the original Flax code produced for the fixtures.
@Suite struct GoldenForwardTests {
  struct Case: Sendable, CustomStringConvertible {
    let fixture: String
    let output: String  // logits.npy or features.npy
    var description: String { fixture }
  }

  static let cases = [
    Case(fixture: "mixer_tiny", output: "logits.npy"),
    Case(fixture: "mixer_tiny_compressed", output: "logits.npy"),
    Case(fixture: "mixer_tiny_fe", output: "features.npy"),
    Case(fixture: "vit_tiny_token", output: "logits.npy"),
    Case(fixture: "vit_tiny_gap", output: "logits.npy"),
    Case(fixture: "vit_tiny_repr", output: "logits.npy"),
    Case(fixture: "r50_vit_tiny", output: "logits.npy"),
  ]
  /// The classification fixtures, whose pre_logits.npy is what a features export outputs.
  static let classificationCases = cases.filter { $0.output == "logits.npy" }

  static func load(_ fixture: String) throws -> (ModelArchitecture, CheckpointParameters, Tensor) {
    let file = try NpzFile(path: Fixtures.path(fixture))
    let tree = ParamTree(arrays: file.arrays)
    let architecture = try ModelRecognizer.recognize(tree).get().architecture
    let (shape, values) = try NpyFile.readFloats(path: Fixtures.path(fixture, "input.npy"))
    return (architecture, CheckpointParameters(file: file, tree: tree), Tensor(shape: shape, scalars: values))
  }

  static func golden(_ fixture: String, _ file: String) throws -> Tensor {
    let (shape, values) = try NpyFile.readFloats(path: Fixtures.path(fixture, file))
    return Tensor(shape: shape, scalars: values)
  }

  static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
  }

  @Test(arguments: cases)
  func referenceForwardMatchesFlax(testCase: Case) throws {
    let (architecture, parameters, image) = try Self.load(testCase.fixture)
    for path in KernelPath.allCases where path.isSupported {
      let outputs = try architecture.referenceForward(
        image, parameters: parameters.source, compute: Compute(path: path))
      if testCase.output == "logits.npy" {
        #expect(
          Self.maxDifference(try #require(outputs.logits), try Self.golden(testCase.fixture, "logits.npy")) <= 1e-5)
        #expect(Self.maxDifference(outputs.preLogits, try Self.golden(testCase.fixture, "pre_logits.npy")) <= 1e-5)
      } else {
        #expect(outputs.logits == nil)
        #expect(Self.maxDifference(outputs.preLogits, try Self.golden(testCase.fixture, "features.npy")) <= 1e-5)
      }
    }
  }

  @Test(arguments: cases)
  func graphExecutorMatchesFlax(testCase: Case) throws {
    let (architecture, parameters, image) = try Self.load(testCase.fixture)
    let plan = try architecture.exportPlan(variant: nil)
    for path in KernelPath.allCases where path.isSupported {
      let outputs = try Self.executor(plan, architecture, parameters, path).run(image)
      let primary = try #require(outputs[plan.outputs[0].name])
      #expect(Self.maxDifference(primary, try Self.golden(testCase.fixture, testCase.output)) <= 1e-5)
      if testCase.output == "logits.npy" {
        let pre = try #require(outputs["pre_logits"])
        #expect(Self.maxDifference(pre, try Self.golden(testCase.fixture, "pre_logits.npy")) <= 1e-5)
      }
    }
  }

  /// `--variant features` outputs what the head sees: the post-tanh value with a
  /// representation layer, the class token or token mean otherwise.
  @Test(arguments: classificationCases)
  func featuresExportIsThePreLogits(testCase: Case) throws {
    let (architecture, parameters, image) = try Self.load(testCase.fixture)
    let plan = try architecture.exportPlan(variant: .features)
    #expect(plan.outputs.map(\.name) == ["features"])
    #expect(!plan.nodes.contains { $0.name == "head" })
    let outputs = try Self.executor(plan, architecture, parameters, .selected).run(image)
    #expect(
      Self.maxDifference(try #require(outputs["features"]), try Self.golden(testCase.fixture, "pre_logits.npy")) <= 1e-5
    )
  }

  /// A graph document for `plan` and its executor, weights taken straight from the checkpoint.
  static func executor(
    _ plan: ExportPlan, _ architecture: ModelArchitecture, _ parameters: CheckpointParameters,
    _ path: KernelPath
  ) throws -> PlanExecutor {
    var weights: [String: Tensor] = [:]
    var manifest: [String: TensorEntry] = [:]
    for weight in plan.weights {
      weights[weight.name] = weight.transform(try parameters.tensor(weight.source))
      manifest[weight.name] = TensorEntry(
        shape: weight.shape, crc32c: "0", source: weight.source,
        sourceDtype: "float32", sourceShape: weight.shape)
    }
    let header = ExportHeader(
      generator: Generator(name: "test", version: "0"),
      model: ModelInfo(
        family: architecture.family.rawValue, name: "t", upstreamName: nil, variant: "x", parameters: 0,
        config: plan.config, source: SourceInfo(file: "f", bytes: 0, sha256: "", keyPrefix: "")),
      input: .image(height: plan.imageSize, width: plan.imageSize), outputs: plan.outputs,
      weights: WeightManifest(dtype: "float32", tensors: manifest))
    let graph = GraphDocument(header: header, nodes: plan.nodes)
    return try PlanExecutor(graph: graph, weights: weights, compute: Compute(path: path))
  }
}
