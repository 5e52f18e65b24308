import Checkpoint
import Graph
import Kernels
import Models
import Testing
import TestSupport

/// Both forward paths against the logits the original Flax code produced for the fixtures.
@Suite struct GoldenForwardTests {
  struct Case: Sendable, CustomStringConvertible {
    let fixture: String
    let output: String  // logits.npy or features.npy
    var description: String { fixture }
  }

  static let mixerCases = [Case(fixture: "mixer_tiny", output: "logits.npy"),
                           Case(fixture: "mixer_tiny_compressed", output: "logits.npy"),
                           Case(fixture: "mixer_tiny_fe", output: "features.npy")]

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

  @Test(arguments: mixerCases)
  func referenceForwardMatchesFlax(testCase: Case) throws {
    let (architecture, parameters, image) = try Self.load(testCase.fixture)
    for path in KernelPath.allCases where path.isSupported {
      let outputs = try architecture.referenceForward(image, parameters: parameters.source, compute: Compute(path: path))
      if testCase.output == "logits.npy" {
        #expect(Self.maxDifference(try #require(outputs.logits), try Self.golden(testCase.fixture, "logits.npy")) <= 1e-5)
        #expect(Self.maxDifference(outputs.preLogits, try Self.golden(testCase.fixture, "pre_logits.npy")) <= 1e-5)
      } else {
        #expect(outputs.logits == nil)
        #expect(Self.maxDifference(outputs.preLogits, try Self.golden(testCase.fixture, "features.npy")) <= 1e-5)
      }
    }
  }

  @Test(arguments: mixerCases)
  func graphExecutorMatchesFlax(testCase: Case) throws {
    let (architecture, parameters, image) = try Self.load(testCase.fixture)
    let plan = try architecture.exportPlan(variant: nil)
    var weights: [String: Tensor] = [:]
    var manifest: [String: TensorEntry] = [:]
    for weight in plan.weights {
      weights[weight.name] = try parameters.tensor(weight.source).reshaped(weight.shape)
      manifest[weight.name] = TensorEntry(shape: weight.shape, shard: "s", crc32c: "0", source: weight.source,
                                          sourceDtype: "float32", sourceShape: weight.shape)
    }
    let graph = GraphDocument(
      generator: Generator(name: "test", version: "0"),
      model: ModelInfo(family: "mixer", name: "t", upstreamName: nil, variant: "x", parameters: 0, config: plan.config,
                       source: SourceInfo(file: "f", bytes: 0, sha256: "", keyPrefix: "")),
      input: .image(height: plan.imageSize, width: plan.imageSize), outputs: plan.outputs, nodes: plan.nodes,
      weights: WeightManifest(dtype: "float32", index: "i", shards: [], tensors: manifest))
    for path in KernelPath.allCases where path.isSupported {
      let executor = try GraphExecutor(graph: graph, weights: weights, compute: Compute(path: path))
      let outputs = try executor.run(image)
      let primary = try #require(outputs[plan.outputs[0].name])
      #expect(Self.maxDifference(primary, try Self.golden(testCase.fixture, testCase.output)) <= 1e-5)
      if let pre = outputs["pre_logits"] {
        #expect(Self.maxDifference(pre, try Self.golden(testCase.fixture, "pre_logits.npy")) <= 1e-5)
      }
    }
  }
}
