import Formats
import Foundation
import Kernels
import Runtime

extension FuzzTargets {
  /// An ONNX model: the protobuf reader, the metadata's header, the initializers against the
  /// manifest (checksums skipped, so that changed weights reach the compiler), the compilation
  /// of the nodes with shape inference and constant folding; a model that compiles and needs
  /// little memory is run on one image.
  static let onnxTarget = FuzzTarget(
    name: "onnx", summary: "ONNX protobuf, metadata, initializers, compilation, execution"
  ) {
    bytes in
    let scratch = ScratchFile("model.onnx")
    scratch.write(bytes)
    let compute = Compute(threads: 1)
    guard let export = try? LoadedONNX(path: scratch.path, checksums: false),
      let plan = try? export.compile(compute: compute)
    else { return }
    runSmall(plan, inputShape: export.header.input.shape, compute: compute)
  }
}
