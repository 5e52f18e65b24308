import FileIO
import Foundation

/// One ONNX file (opset 21) that ONNX Runtime, OpenVINO and every ONNX consumer loads, with a
/// data file beside it for weights over 2 GiB (formats/onnx-layout.md).
enum ONNXFormat: ExportFormatDefinition {
  static let noun = "an ONNX file"
  static let isFolder = false
  static let suffixes = [".onnx"]
  static let options: Set<ExportOption> = [.externalData]

  /// ONNX has no signature: a file named `.onnx` is read as one (and refused if it is not), and
  /// so is a file of another name that begins as a model does, with its `ir_version` (field 1,
  /// a varint between 1 and 127), as every ONNX writer puts it first.
  static func recognizes(_ path: String) -> Bool {
    if path.lowercased().hasSuffix(".onnx") { return true }
    guard let (descriptor, _) = try? RegularFile.open(path) else { return false }
    defer { close(descriptor) }
    guard let start = RegularFile.read(descriptor, range: 0..<2), start.count == 2 else { return false }
    return start[0] == 0x08 && (1...127).contains(start[1])
  }

  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter { try ONNXWriter(request) }

  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport {
    try LoadedONNX(path: path, checksums: options.checksums, stagedSiblings: options.stagedSiblings)
  }

  static func writerPaths(at path: String) -> [String] { [path, ONNXLayout.dataWorkingPath(ofModelAt: path)] }

  static func files(at path: String) -> [String] {
    let data = (try? LoadedONNX.dataFileName(ofModelAt: path)) ?? nil
    return [path] + (data.map { [ONNXLayout.sibling(of: path, named: $0)] } ?? [])
  }
}
