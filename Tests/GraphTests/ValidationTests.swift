import Graph
import LayerAttributes
import Testing

/// Graph validation: every branch of shape inference and every check of the document refuses
/// what it must, with a message naming the node; and no shape, however large, overflows.
@Suite struct ValidationTests {
  struct Case: Sendable, CustomStringConvertible {
    let description: String
    let message: String
    let build: @Sendable () -> GraphDocument
  }

  /// A fixture whose last node is built by `body` on an input of `input` (default NHWC 8×8×3).
  static func one(
    _ name: String, _ message: String, input: [Int] = [-1, 8, 8, 3],
    _ body: @escaping @Sendable (inout GraphFixture) -> Void
  ) -> Case {
    Case(description: name, message: message) {
      var fixture = GraphFixture(input: input)
      body(&fixture)
      return fixture.document
    }
  }

  static let conv = Conv2DAttributes(kernelSize: [2, 2], strides: [2, 2], padding: .valid)

  /// One failing graph per branch of ShapeInference (and per check inside the branch).
  static let inference: [Case] = [
    one("layer norm: epsilon not positive", "epsilon -1.0 must be positive and finite") {
      $0.add("n", .layerNorm(epsilon: -1), shape: [-1, 8, 8, 3], weights: ["scale": [3], "bias": [3]])
    },
    one("group norm: epsilon NaN", "epsilon nan must be positive and finite") {
      $0.add("g", .groupNorm(groups: 3, epsilon: .nan), shape: [-1, 8, 8, 3], weights: ["scale": [3], "bias": [3]])
    },
    one("conv: not NHWC", "needs an NHWC input and an HWIO kernel") {
      $0.add("flat", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      $0.add("c", .conv2D(conv), shape: [-1, 4, 4, 5], weights: ["kernel": [2, 2, 3, 5]])
    },
    one("conv: kernel_size", "does not match kernel_size") {
      $0.add("c", .conv2D(conv), shape: [-1, 4, 4, 5], weights: ["kernel": [3, 3, 3, 5]])
    },
    one("conv: strides", "strides must be two equal positive numbers") {
      $0.add(
        "c", .conv2D(Conv2DAttributes(kernelSize: [2, 2], strides: [1, 2], padding: .valid)), shape: [-1, 4, 4, 5],
        weights: ["kernel": [2, 2, 3, 5]])
    },
    one("conv: huge strides", "exceed 4096") {
      $0.add(
        "c", .conv2D(Conv2DAttributes(kernelSize: [2, 2], strides: [Int.max, Int.max], padding: .same)),
        shape: [-1, 1, 1, 5], weights: ["kernel": [2, 2, 3, 5]])
    },
    one("conv: bias", "bias [4] does not match 5 outputs") {
      $0.add("c", .conv2D(conv), shape: [-1, 4, 4, 5], weights: ["kernel": [2, 2, 3, 5], "bias": [4]])
    },
    one("conv: larger than the input", "is smaller than the kernel") {
      $0.add(
        "c", .conv2D(Conv2DAttributes(kernelSize: [9, 9], strides: [1, 1], padding: .valid)), shape: [-1, 1, 1, 5],
        weights: ["kernel": [9, 9, 3, 5]])
    },
    one("reshape: batch", "shape must be [-1, positive dimensions") {
      $0.add("r", .reshape(shape: [1, 192]), shape: [1, 192])
    },
    one("reshape: element count", "cannot reshape") {
      $0.add("r", .reshape(shape: [-1, 190]), shape: [-1, 190])
    },
    one("reshape: overflowing dimensions", "cannot reshape") {
      $0.add("r", .reshape(shape: [-1, 1 << 32, 1 << 32, 16]), shape: [-1, 1 << 32, 1 << 32, 16])
    },
    one("layer norm", "scale and bias must have shape [3]") {
      $0.add("n", .layerNorm(epsilon: 1e-6), shape: [-1, 8, 8, 3], weights: ["scale": [4], "bias": [3]])
    },
    one("transpose", "must reorder the 4 axes and keep the batch first") {
      $0.add("t", .transpose(permutation: [1, 0, 2, 3]), shape: [-1, 8, 8, 3])
    },
    one("dense: kernel", "does not take inputs of width 3") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [4, 4]])
    },
    one("dense: bias", "bias [3] does not match 4 outputs") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [3, 4], "bias": [3]])
    },
    one("add", "inputs have different shapes") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [3, 4]])
      $0.add("sum", .add, ["d", "image"], shape: [-1, 8, 8, 4])
    },
    one("mean", "axis 0 is not a non-batch axis") {
      $0.add("m", .mean(axis: 0), shape: [8, 8, 3])
    },
    one("class token", "token must be [1, 1, 3]") {
      $0.add("r", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      $0.add("cls", .classToken, shape: [-1, 65, 3], weights: ["token": [1, 3]])
    },
    one("position embedding", "does not match the sequence") {
      $0.add("r", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      $0.add("pos", .positionEmbedding, shape: [-1, 64, 3], weights: ["embedding": [1, 65, 3]])
    },
    one("attention: heads", "2 heads do not divide the width") {
      $0.add("r", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      $0.add(
        "mha", .multiHeadAttention(heads: 2), shape: [-1, 64, 3],
        weights: Dictionary(uniqueKeysWithValues: MultiHeadAttentionRoles.all.map { ($0, [1]) }))
    },
    one("attention: weights", "query_kernel is [3, 3], expected [3, 1, 3]") {
      $0.add("r", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      var roles = [
        "query_kernel": [3, 3], "query_bias": [1, 3], "key_kernel": [3, 1, 3], "key_bias": [1, 3],
        "value_kernel": [3, 1, 3], "value_bias": [1, 3], "out_kernel": [1, 3, 3], "out_bias": [3],
      ]
      roles["query_kernel"] = [3, 3]
      $0.add("mha", .multiHeadAttention(heads: 1), shape: [-1, 64, 3], weights: roles)
    },
    one("select token", "index 64 is outside the sequence") {
      $0.add("r", .reshape(shape: [-1, 64, 3]), shape: [-1, 64, 3])
      $0.add("s", .selectToken(index: 64), shape: [-1, 3])
    },
    one("group norm: groups", "2 groups do not divide the channels") {
      $0.add("g", .groupNorm(groups: 2, epsilon: 1e-5), shape: [-1, 8, 8, 3], weights: ["scale": [3], "bias": [3]])
    },
    one("group norm: weights", "scale and bias must have shape [3]") {
      $0.add(
        "g", .groupNorm(groups: 3, epsilon: 1e-5), shape: [-1, 8, 8, 3], weights: ["scale": [3], "bias": [1, 3]])
    },
    one("max pool: window", "window and strides must be square, positive") {
      $0.add("p", .maxPool2D(windowSize: [2, 3], strides: [2, 2], padding: .valid), shape: [-1, 4, 3, 3])
    },
    one("max pool: huge window", "at most 4096") {
      $0.add("p", .maxPool2D(windowSize: [Int.max, Int.max], strides: [1, 1], padding: .same), shape: [-1, 8, 8, 3])
    },
    one("max pool: larger than the input", "is smaller than the window") {
      $0.add("p", .maxPool2D(windowSize: [9, 9], strides: [1, 1], padding: .valid), shape: [-1, 0, 0, 3])
    },
  ]

  /// One failing graph per check of the document and its header.
  static let document: [Case] = [
    Case(description: "format name", message: "not a mixer-convert bundle") {
      var document = valid()
      document.format = "other"
      return document
    },
    Case(description: "major version", message: "bundle format version 2.0 is not supported") {
      var document = valid()
      document.formatVersion = "2.0"
      return document
    },
    one("input shape", "is not [-1, height, width, 3]", input: [-1, 8, 8, 4]) {
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 4])
    },
    one("input size", "larger than 4096 pixels a side", input: [-1, 5000, 8, 3]) {
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 5000, 8, 3])
    },
    Case(description: "no outputs", message: "the graph has no outputs") {
      var fixture = GraphFixture()
      fixture.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      fixture.outputs = []
      return fixture.document
    },
    Case(description: "dtype", message: "weight dtype 'int8' is not float32") {
      var fixture = GraphFixture()
      fixture.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      fixture.dtype = "int8"
      return fixture.document
    },
    one("weight shape overflow", "has shape [32, 2305843009213693952]") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [3, 4]])
      $0.weights["extra"] = [32, 1 << 61]
    },
    one("negative weight shape", "has shape [-3, 4]") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [-3, 4]])
    },
    one("node name", "node name 'a/b' is empty or contains '/'") {
      $0.add("a/b", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
    },
    one("duplicate node", "node 'g' is defined twice") {
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
    },
    one("arity", "Add takes 2 input(s)") { $0.add("a", .add, ["image"], shape: [-1, 8, 8, 3]) },
    one("unknown input", "reads 'later', which is not computed before it") {
      $0.add("g", .gelu(approximation: .tanh), ["later"], shape: [-1, 8, 8, 3])
    },
    one("missing weight", "Dense needs a 'kernel' weight") {
      $0.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["bias": [4]])
    },
    one("unknown role", "GELU takes no 'kernel' weight") {
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3], weights: ["kernel": [3, 3]])
    },
    Case(description: "unlisted weight", message: "uses weight 'd.kernel', which the manifest does not list") {
      var fixture = GraphFixture()
      fixture.add("d", .dense, shape: [-1, 8, 8, 4], weights: ["kernel": [3, 4]])
      fixture.weights["d.kernel"] = nil
      return fixture.document
    },
    one("too many elements", "more than 17179869184 elements per image") {
      $0.add("d", .dense, shape: [-1, 8, 8, 1 << 30], weights: ["kernel": [3, 1 << 30]])
    },
    one("recorded shape", "records output shape [-1, 8, 8, 5] but computes [-1, 8, 8, 4]") {
      $0.add("d", .dense, shape: [-1, 8, 8, 5], weights: ["kernel": [3, 4]])
    },
    Case(description: "output node", message: "output 'logits' names unknown node 'nowhere'") {
      var fixture = GraphFixture()
      fixture.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      fixture.outputs = [GraphOutput(name: "logits", node: "nowhere", shape: [-1, 8, 8, 3], description: "")]
      return fixture.document
    },
    Case(description: "output shape", message: "output 'logits' records shape [-1, 3] but node 'g' computes") {
      var fixture = GraphFixture()
      fixture.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      fixture.outputs = [GraphOutput(name: "logits", node: "g", shape: [-1, 3], description: "")]
      return fixture.document
    },
    one("unused weight", "weight 'spare' is not used by any node") {
      $0.add("g", .gelu(approximation: .tanh), shape: [-1, 8, 8, 3])
      $0.weights["spare"] = [3]
    },
  ]

  /// A small graph that passes: every operation of a Mixer and a ViT block on an 8×8 input.
  static func valid() -> GraphDocument {
    var f = GraphFixture()
    f.add("stem", .conv2D(conv), shape: [-1, 4, 4, 6], weights: ["kernel": [2, 2, 3, 6], "bias": [6]])
    f.add("tokens", .reshape(shape: [-1, 16, 6]), shape: [-1, 16, 6])
    f.add("cls", .classToken, shape: [-1, 17, 6], weights: ["token": [1, 1, 6]])
    f.add("pos", .positionEmbedding, shape: [-1, 17, 6], weights: ["embedding": [1, 17, 6]])
    f.add("norm", .layerNorm(epsilon: 1e-6), shape: [-1, 17, 6], weights: ["scale": [6], "bias": [6]])
    f.add(
      "mha", .multiHeadAttention(heads: 2), shape: [-1, 17, 6],
      weights: [
        "query_kernel": [6, 2, 3], "query_bias": [2, 3], "key_kernel": [6, 2, 3], "key_bias": [2, 3],
        "value_kernel": [6, 2, 3], "value_bias": [2, 3], "out_kernel": [2, 3, 6], "out_bias": [6],
      ])
    f.add("res", .add, ["mha", "pos"], shape: [-1, 17, 6])
    f.add("swap", .transpose(permutation: [0, 2, 1]), shape: [-1, 6, 17])
    f.add("fc", .dense, shape: [-1, 6, 8], weights: ["kernel": [17, 8], "bias": [8]])
    f.add("act", .gelu(approximation: .tanh), shape: [-1, 6, 8])
    f.add("pool", .mean(axis: 1), shape: [-1, 8])
    f.add("head", .dense, shape: [-1, 4], weights: ["kernel": [8, 4]])
    f.add("squash", .tanh, shape: [-1, 4])
    return f.document
  }

  @Test func aValidGraphPasses() throws {
    try Self.valid().validate()
  }

  @Test(arguments: inference + document)
  func invalidGraphsAreRefusedWithTheirReason(testCase: Case) {
    #expect { try testCase.build().validate() } throws: { error in
      let message = (error as? GraphError)?.message ?? "\(error)"
      return message.contains(testCase.message) && !message.contains("\n")
    }
  }
}
