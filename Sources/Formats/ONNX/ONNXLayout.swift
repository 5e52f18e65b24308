import Checkpoint
import Foundation

/// Names, versions and limits of an ONNX export (formats/onnx-layout.md).
enum ONNXLayout {
  /// The operator set: 21 has `Gelu` with `approximate` (20), `LayerNormalization` (17), and
  /// `GroupNormalization` with a per-channel scale and bias (21), which is what the original
  /// GroupNorm computes.
  static let opset = 21
  /// The IR version that goes with opset 21.
  static let irVersion = 10
  /// The graph's name.
  static let graphName = "mixer-convert"
  /// The symbolic batch dimension of the input and outputs.
  static let batch = "N"
  /// `metadata_props` keys.
  static let formatKey = "mixer_convert.format"
  static let formatVersionKey = "mixer_convert.format_version"
  static let headerKey = "mixer_convert.header"
  static let sourceKey = "source_sha256"
  /// The value of ``formatKey``.
  static let formatName = "mixer-convert.onnx"
  static let formatVersion = "1.0"
  /// Above this many bytes of weights the model file would pass protobuf's 2 GiB limit, so the
  /// weights go to a data file (64 MiB are left for the graph and the metadata).
  static let inlineLimit = (1 << 31) - (64 << 20)
  /// Offsets in the data file are multiples of this, so each tensor can be memory-mapped.
  static let dataAlignment = 4096

  /// `TensorProto.DataType` of a stored dtype.
  static func dataType(_ dtype: DType) -> ONNXProto.DataType {
    switch dtype {
    case .float16: .float16
    case .bfloat16: .bfloat16
    default: .float
    }
  }

  /// The stored dtype of a `TensorProto.DataType` an export may hold.
  static func dtype(_ dataType: Int) -> DType? {
    switch ONNXProto.DataType(rawValue: dataType) {
    case .float: .float32
    case .float16: .float16
    case .bfloat16: .bfloat16
    default: nil
    }
  }

  /// The data file of a model file: its name, then the first 12 hex digits of the data's
  /// SHA-256, then `.data` (`vit.onnx` → `vit.onnx.3fa2c19d0b4e.data`). Naming it by content
  /// lets a replaced model and its old data file coexist until the new model is in place.
  static func dataFileName(model: String, sha256: String) -> String {
    "\(URL(fileURLWithPath: model).lastPathComponent).\(sha256.prefix(12)).data"
  }

  /// Where the data file of the model at `model` is written before its commit gives it its
  /// name (``dataFileName(model:sha256:)``), known only once it is written.
  static func dataWorkingPath(ofModelAt model: String) -> String { model + ".data" }

  /// The path of a file named `name` in the folder of the model at `model`.
  static func sibling(of model: String, named name: String) -> String {
    URL(fileURLWithPath: model).deletingLastPathComponent().appendingPathComponent(name).path
  }

  /// Whether `name` is a data file of the model file named `model` (its own or an older one's).
  static func isDataFile(_ name: String, of model: String) -> Bool {
    let prefix = URL(fileURLWithPath: model).lastPathComponent + "."
    guard name.hasPrefix(prefix), name.hasSuffix(".data") else { return false }
    let hash = name.dropFirst(prefix.count).dropLast(5)
    return hash.count == 12 && hash.allSatisfy(\.isHexDigit)
  }
}
