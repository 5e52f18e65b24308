import Checkpoint
import FileIO
import Foundation
import Graph

/// Writes an ONNX export (formats/onnx-layout.md): the canonical graph translated to ONNX
/// nodes, every weight an initializer under its canonical name, and the export's header in
/// `metadata_props`.
///
/// Fields are written in ascending field-number order, each once, with every length known
/// before its bytes: the nodes are translated at the start and the size of every initializer
/// follows from its shape, so the weights stream straight into the file, one chunk at a time.
/// When the weights would pass protobuf's 2 GiB limit (or ``ExportOptions/externalData``
/// asks), they stream into a data file beside the model instead, each at an offset aligned
/// for memory-mapping; the data file is named by its content's hash and moved into place
/// before the model, so that at every moment the model at OUT has its data beside it.
final class ONNXWriter: ExportWriter {
  let totalBytes: Int
  private(set) var bytesWritten = 0
  private let request: ExportWriteRequest
  private let graphNodes: [ONNXNodeSpec]
  private let model: AtomicOutput
  private let modelFile: FileWriter?
  private let data: (output: AtomicOutput, file: FileWriter)?
  private var next = 0
  private var checksums: [String: String] = [:]
  /// Offset of every tensor in the data file (external data).
  private var offsets: [String: Int] = [:]

  /// Refuses, before anything is written, a model name whose data file's name
  /// (``ONNXLayout/dataFileName(model:sha256:)``) would be too long for a file name.
  private static func refuseLongDataName(_ path: String) throws {
    let model = URL(fileURLWithPath: path).lastPathComponent
    let data = ONNXLayout.dataFileName(model: path, sha256: String(repeating: "0", count: 64))
    guard data.utf8.count > AtomicOutput.maxNameBytes else { return }
    let added = data.utf8.count - model.utf8.count
    throw ExportFileError(
      path: path,
      reason: "its weights go into the data file \(model).<hash>.data, whose name would be \(data.utf8.count) bytes, "
        + "more than the \(AtomicOutput.maxNameBytes) a file name may have; choose a name of at most "
        + "\(AtomicOutput.maxNameBytes - added) bytes")
  }

  init(_ request: ExportWriteRequest) throws {
    self.request = request
    totalBytes = request.totalBytes
    graphNodes =
      ONNXGraphBuilder(
        nodes: request.nodes, input: request.input, outputs: request.outputs,
        weightShapes: request.shapes, dtype: request.dtype
      ).nodes
    let external = request.options.externalData || totalBytes > ONNXLayout.inlineLimit
    if external { try Self.refuseLongDataName(request.path) }
    model = try AtomicOutput(finalPath: request.path, isDirectory: false, replacing: request.replacing)
    if external {
      let output = try AtomicOutput(
        finalPath: ONNXLayout.dataWorkingPath(ofModelAt: request.path), isDirectory: false, replacing: true)
      // Written once, start to end, like a bundle's shards: past the page cache.
      let file = try FileWriter(
        creating: output.temporaryPath, reportingAs: output.finalPath, bypassingPageCache: true, hashing: true)
      data = (output, file)
      modelFile = nil
    } else {
      data = nil
      let file = try FileWriter(creating: model.temporaryPath, reportingAs: model.finalPath)
      modelFile = file
      try file.write(modelPrefix())
      try file.write(ProtobufEncoder.lengthDelimitedPrefix(field: 7, length: graphLength()))
      try file.write(graphNodesAndName())
    }
  }

  func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    precondition(
      next < request.tensors.count && request.tensors[next].name == name,
      "tensors must be written in the planned order")
    let tensor = request.tensors[next]
    let count = byteCount(tensor)
    var crc: UInt32 = 0
    var written = 0
    let sink: (UnsafeRawBufferPointer) throws -> Void
    if let data {
      let padding = (ONNXLayout.dataAlignment - data.file.offset % ONNXLayout.dataAlignment) % ONNXLayout.dataAlignment
      let zeros = [UInt8](repeating: 0, count: padding)
      try data.file.write(zeros)
      offsets[name] = data.file.offset
      sink = { chunk in try data.file.write(chunk) }
    } else {
      let file = modelFile!
      try file.write(ProtobufEncoder.lengthDelimitedPrefix(field: 5, length: inlineInitializerLength(tensor)))
      try file.write(initializerHeader(tensor).bytes)
      try file.write(ProtobufEncoder.lengthDelimitedPrefix(field: 9, length: count))
      sink = { chunk in try file.write(chunk) }
    }
    try produce { chunk in
      guard written + chunk.count <= count else {
        throw ExportFileError(path: self.request.path, tensor: name, reason: "received more than \(count) bytes")
      }
      crc = CRC32C.checksum(chunk, continuing: crc)
      try sink(chunk)
      written += chunk.count
      self.bytesWritten += chunk.count
    }
    guard written == count else {
      throw ExportFileError(path: request.path, tensor: name, reason: "received \(written) bytes, expected \(count)")
    }
    checksums[name] = CRC32C.hex(crc)
    next += 1
  }

  func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport {
    precondition(next == request.tensors.count, "ONNX file closed with tensors unwritten")
    let header = try header(checksums)
    try header.validate()
    var files = [(request.path as NSString).lastPathComponent]
    if let data {
      let dataName = ONNXLayout.dataFileName(model: request.path, sha256: try data.file.sha256())
      let file = try FileWriter(creating: model.temporaryPath, reportingAs: model.finalPath)
      var graph = ProtobufEncoder()
      graph.append(graphNodesAndName())
      for tensor in request.tensors { graph.message(5, externalInitializer(tensor, location: dataName)) }
      graph.append(graphInputsAndOutputs())
      try file.write(modelPrefix())
      try file.write(ProtobufEncoder.lengthDelimitedPrefix(field: 7, length: graph.bytes.count))
      try file.write(graph.bytes)
      try file.write(modelSuffix(header))
      try file.flush()
      try beforeCommit(StagedFiles(path: model.temporaryPath, siblings: [dataName: data.output.temporaryPath]))
      let previous = previousDataFile()
      try data.output.commit(as: dataName)
      let identity: FileIdentity?
      do {
        identity = try model.commit(madeOf: [data.output.finalPath])
      } catch {
        // The model did not go into place (a signal at its commit, a file put at OUT meanwhile):
        // its new data file goes too, unless it is the one the model at OUT refers to.
        if dataName != previous { unlink(data.output.finalPath) }
        throw error
      }
      removeDataFile(previous, unless: dataName)
      files.append(dataName)
      return WrittenExport(storage: "in ONNX with external data", files: files, identity: identity)
    }
    let file = modelFile!
    try file.write(graphInputsAndOutputs())
    try file.write(modelSuffix(header))
    try file.flush()
    try beforeCommit(StagedFiles(path: model.temporaryPath))
    let previous = previousDataFile()
    let identity = try model.commit()
    removeDataFile(previous, unless: nil)
    return WrittenExport(storage: "in ONNX", files: files, identity: identity)
  }

  /// The data file the model now at OUT refers to, if any (it is replaced with the model).
  private func previousDataFile() -> String? {
    guard request.replacing, let existing = try? LoadedONNX.dataFileName(ofModelAt: request.path) else { return nil }
    return existing
  }

  /// Removes the data file of the model this one replaced, once nothing refers to it: only a
  /// name this writer gives data files (never a file elsewhere that a model names), and not the
  /// new model's own.
  private func removeDataFile(_ previous: String?, unless current: String?) {
    guard let previous, previous != current, ONNXLayout.isDataFile(previous, of: request.path) else { return }
    try? FileManager.default.removeItem(atPath: ONNXLayout.sibling(of: request.path, named: previous))
  }

  // MARK: - Encoding

  private func byteCount(_ tensor: ExportTensor) -> Int { tensor.shape.reduce(1, *) * request.dtype.itemSize }

  /// `ir_version`, `producer_name`, `producer_version`: the fields before the graph.
  private func modelPrefix() -> [UInt8] {
    var prefix = ProtobufEncoder()
    prefix.int(1, ONNXLayout.irVersion)
    prefix.string(2, request.generator.name)
    prefix.string(3, request.generator.version)
    return prefix.bytes
  }

  /// `opset_import` and `metadata_props`: the fields after the graph.
  private func modelSuffix(_ header: ExportHeader) throws -> [UInt8] {
    var suffix = ProtobufEncoder()
    var opset = ProtobufEncoder()
    opset.string(1, "")
    opset.int(2, ONNXLayout.opset)
    suffix.message(8, opset)
    for (key, value) in try ONNXMetadata.properties(header) {
      var entry = ProtobufEncoder()
      entry.string(1, key)
      entry.string(2, value)
      suffix.message(14, entry)
    }
    return suffix.bytes
  }

  /// The graph's `node` and `name` fields.
  private func graphNodesAndName() -> [UInt8] {
    var graph = ProtobufEncoder()
    for node in graphNodes { graph.message(1, node.encoded) }
    graph.string(2, ONNXLayout.graphName)
    return graph.bytes
  }

  /// The graph's `input` and `output` fields.
  private func graphInputsAndOutputs() -> [UInt8] {
    var graph = ProtobufEncoder()
    let input = request.input
    graph.message(
      11,
      ONNXValueInfo(
        name: input.name, elementType: ONNXProto.DataType.float.rawValue,
        shape: [.parameter(ONNXLayout.batch)] + input.shape.dropFirst().map { .value($0) }
      ).encoded)
    for output in request.outputs {
      graph.message(
        12,
        ONNXValueInfo(
          name: output.name, elementType: ONNXProto.DataType.float.rawValue,
          shape: [.parameter(ONNXLayout.batch)] + output.shape.dropFirst().map { .value($0) }
        ).encoded)
    }
    return graph.bytes
  }

  /// An initializer's `dims`, `data_type` and `name`.
  private func initializerHeader(_ tensor: ExportTensor) -> ProtobufEncoder {
    var message = ProtobufEncoder()
    for dim in tensor.shape { message.int(1, dim) }
    message.int(2, ONNXLayout.dataType(request.dtype).rawValue)
    message.string(8, tensor.name)
    return message
  }

  /// Bytes of an inline initializer message: its header and its `raw_data`.
  private func inlineInitializerLength(_ tensor: ExportTensor) -> Int {
    let count = byteCount(tensor)
    return initializerHeader(tensor).bytes.count + ProtobufEncoder.lengthDelimitedPrefix(field: 9, length: count).count
      + count
  }

  /// An initializer whose bytes are in the data file.
  private func externalInitializer(_ tensor: ExportTensor, location: String) -> ProtobufEncoder {
    var message = initializerHeader(tensor)
    for (key, value) in [
      ("location", location), ("offset", String(offsets[tensor.name]!)),
      ("length", String(byteCount(tensor))),
    ] {
      var entry = ProtobufEncoder()
      entry.string(1, key)
      entry.string(2, value)
      message.message(13, entry)
    }
    message.int(14, 1)
    return message
  }

  /// Bytes of the whole inline graph message.
  private func graphLength() -> Int {
    graphNodesAndName().count + graphInputsAndOutputs().count
      + request.tensors.reduce(0) { total, tensor in
        let length = inlineInitializerLength(tensor)
        return total + ProtobufEncoder.lengthDelimitedPrefix(field: 5, length: length).count + length
      }
  }
}
