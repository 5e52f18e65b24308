import Checkpoint
import FileIO
import Foundation
import Graph
import Kernels
import Runtime

/// An ONNX export opened for running: the model file (and its data file) memory-mapped, the
/// protobuf decoded and every part of it checked against the header in its metadata.
///
/// Opening refuses, with one line naming the file (and the tensor or node), a file that is not
/// protobuf, a length past the end, another opset, an input or output that is not the
/// header's, an initializer whose name, type or shape is not the manifest's, data that does
/// not fit, an external-data path outside the model's folder, and (unless checksums are
/// skipped) a CRC-32C that does not match. The nodes are compiled, and so checked, by
/// ``compile(compute:)``.
public final class LoadedONNX: LoadedExport {
  public let path: String
  public let header: ExportHeader
  public let formatVersion: String
  private let model: ONNXModel
  /// The model file and the data files, which the tensors' bytes point into.
  private let files: [MappedFile]
  private let stored: [String: UnsafeRawBufferPointer]

  /// The largest model file: protobuf's limit.
  static let maxModelBytes = 1 << 31

  /// Opens and checks an ONNX export.
  ///
  /// - Parameters:
  ///   - checksums: verify every tensor's CRC-32C.
  ///   - stagedSiblings: where data files the model names are for now, by name
  ///     (``OpenOptions/stagedSiblings``); any other is beside the model.
  public init(path: String, checksums: Bool = true, stagedSiblings: [String: String] = [:]) throws {
    self.path = path
    let file = try MappedFile(path: path, limit: Self.maxModelBytes)
    do { model = try ONNXDecoding.model(file.bytes) } catch {
      throw ExportFileError(path: path, reason: "is not a readable ONNX model: \(error.location): \(error.reason)")
    }
    guard model.opsets.count == 1, ["", "ai.onnx"].contains(model.opsets[0].domain),
      model.opsets[0].version == ONNXLayout.opset
    else {
      let opsets = model.opsets.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain) \($0.version)" }.joined(
        separator: ", ")
      throw ExportFileError(
        path: path, reason: "imports opsets [\(opsets)]; mixer-convert reads exactly ai.onnx \(ONNXLayout.opset)")
    }
    (header, formatVersion) = try ONNXMetadata.header(model.metadata, path: path)
    try Self.checkEnds(model.graph, header, path: path)
    var files = [file]
    let locate = { (location: String) in stagedSiblings[location] ?? ONNXLayout.sibling(of: path, named: location) }
    stored = try Self.tensors(model.graph, header, path: path, locate: locate, dataFiles: &files)
    self.files = files
    if checksums {
      for (name, entry) in header.weights.tensors.sorted(by: { $0.key < $1.key }) {
        // A signal caught meanwhile (a conversion verifying its export) stops the checks here.
        try Interruption.check()
        let crc = CRC32C.hex(CRC32C.checksum(stored[name]!))
        guard crc == entry.crc32c else {
          throw ExportFileError(
            path: Self.file(holding: name, in: model.graph, modelPath: path, locate: locate), tensor: name,
            reason: "CRC-32C is \(crc), expected \(entry.crc32c): the data is corrupt")
        }
      }
    }
  }

  public var format: ExportFormat { .onnx }

  public var operations: [String: Int] {
    model.graph.nodes.reduce(into: [:]) { counts, node in counts[node.opType, default: 0] += 1 }
  }

  public func storedBytes(of name: String) -> UnsafeRawBufferPointer? { stored[name] }

  public func compile(compute: Compute) throws -> ExecutionPlan {
    try ONNXCompiler.plan(
      model.graph, weights: weights(), inputShape: header.input.shape, outputs: header.outputs,
      compute: compute)
  }

  /// The data file the ONNX model at `path` keeps its weights in, if it has one.
  static func dataFileName(ofModelAt path: String) throws -> String? {
    let file = try MappedFile(path: path, limit: maxModelBytes)
    let model = try ONNXDecoding.model(file.bytes)
    for tensor in model.graph.initializers {
      if case .external(let location, _, _) = tensor.data { return location }
    }
    return nil
  }

  /// The file an initializer's bytes are in: its external data file (as `locate` finds it by
  /// name), or the model itself.
  private static func file(
    holding name: String, in graph: ONNXGraph, modelPath: String, locate: (String) -> String
  ) -> String {
    for tensor in graph.initializers where tensor.name == name {
      if case .external(let location, _, _) = tensor.data { return locate(location) }
    }
    return modelPath
  }

  /// The graph's one input and its outputs must be the header's.
  private static func checkEnds(_ graph: ONNXGraph, _ header: ExportHeader, path: String) throws {
    let float = ONNXProto.DataType.float.rawValue
    func matches(_ info: ONNXValueInfo, _ shape: [Int]) -> Bool {
      guard info.elementType == float, info.shape.count == shape.count, case .parameter = info.shape.first else {
        return false
      }
      return zip(info.shape.dropFirst(), shape.dropFirst()).allSatisfy { $0 == .value($1) }
    }
    guard graph.inputs.count == 1, graph.inputs[0].name == header.input.name,
      matches(graph.inputs[0], header.input.shape)
    else {
      throw ExportFileError(
        path: path,
        reason: "the graph's input is not '\(header.input.name)', float32 \(header.input.shape) "
          + "with a symbolic batch, as its header says")
    }
    guard graph.outputs.map(\.name) == header.outputs.map(\.name),
      zip(graph.outputs, header.outputs).allSatisfy({ matches($0, $1.shape) })
    else {
      throw ExportFileError(
        path: path,
        reason: "the graph's outputs are not the header's: "
          + header.outputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", "))
    }
  }

  /// The stored bytes of every initializer, checked against the manifest: names, element
  /// type, shape, size, and where external data is (a file `locate` finds by its name).
  private static func tensors(
    _ graph: ONNXGraph, _ header: ExportHeader, path: String, locate: (String) -> String,
    dataFiles: inout [MappedFile]
  ) throws
    -> [String: UnsafeRawBufferPointer]
  {
    let manifest = header.weights.tensors
    let itemSize = header.weights.itemSize!
    var stored: [String: UnsafeRawBufferPointer] = [:]
    var mapped: [String: MappedFile] = [:]
    for tensor in graph.initializers {
      let name = tensor.name
      func fail(_ reason: String) -> ExportFileError { ExportFileError(path: path, tensor: name, reason: reason) }
      guard let entry = manifest[name] else { throw fail("is an initializer the header does not list") }
      guard stored[name] == nil else { throw fail("is two initializers") }
      guard ONNXLayout.dtype(tensor.dataType)?.rawValue == header.weights.dtype else {
        throw fail("has ONNX data type \(tensor.dataType), but the export's weights are \(header.weights.dtype)")
      }
      guard tensor.dims == entry.shape else { throw fail("has shape \(tensor.dims), the header says \(entry.shape)") }
      let count = entry.shape.reduce(1, *) * itemSize  // the header's shapes are validated, hence small
      switch tensor.data {
      case .raw(let bytes):
        guard bytes.count == count else { throw fail("has \(bytes.count) bytes of raw_data, \(count) expected") }
        stored[name] = bytes
      case .external(let location, let offset, let length):
        guard BundleLayout.isPlainFileName(location) else {
          throw fail("keeps its data in '\(location)', which is not a file beside the model: refused")
        }
        guard length == count else { throw fail("has \(length) bytes of external data, \(count) expected") }
        let file = try mapped[location] ?? MappedFile(path: locate(location))
        mapped[location] = file
        guard offset <= file.bytes.count, length <= file.bytes.count - offset else {
          throw fail("claims bytes \(offset)..<\(offset + length) of \(location), which has \(file.bytes.count)")
        }
        stored[name] = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + length)])
      default:
        throw fail("has no raw_data or external data")
      }
    }
    if let missing = manifest.keys.sorted().first(where: { stored[$0] == nil }) {
      throw ExportFileError(path: path, tensor: missing, reason: "is in the header but not an initializer")
    }
    dataFiles += mapped.keys.sorted().map { mapped[$0]! }
    return stored
  }
}
