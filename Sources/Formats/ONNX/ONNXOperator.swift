/// The ONNX operators mixer-convert writes and reads (formats/onnx-layout.md), each with the
/// attributes it may carry; anything else is refused when a file is read.
enum ONNXOperator: String, CaseIterable {
  case constant = "Constant", cast = "Cast", transpose = "Transpose", reshape = "Reshape", conv = "Conv"
  case maxPool = "MaxPool", groupNormalization = "GroupNormalization", layerNormalization = "LayerNormalization"
  case matMul = "MatMul", add = "Add", sub = "Sub", mul = "Mul", div = "Div", gelu = "Gelu", tanh = "Tanh"
  case relu = "Relu", sqrt = "Sqrt", softmax = "Softmax", reduceMean = "ReduceMean", pad = "Pad", gather = "Gather"

  /// The attributes it may have.
  var attributes: Set<String> {
    switch self {
    case .constant: ["value"]
    case .cast: ["to"]
    case .transpose: ["perm"]
    case .reshape: ["allowzero"]
    case .conv: ["kernel_shape", "pads", "strides", "dilations", "group"]
    case .maxPool: ["kernel_shape", "pads", "strides"]
    case .groupNormalization: ["epsilon", "num_groups", "stash_type"]
    case .layerNormalization: ["axis", "epsilon", "stash_type"]
    case .gelu: ["approximate"]
    case .softmax: ["axis"]
    case .reduceMean: ["keepdims"]
    case .pad: ["mode"]
    case .gather: ["axis"]
    case .matMul, .add, .sub, .mul, .div, .tanh, .relu, .sqrt: []
    }
  }
}
