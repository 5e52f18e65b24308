import Checkpoint
import FileIO
import Foundation
import Graph

/// One tensor an export will hold.
public struct ExportTensor: Sendable {
  /// Canonical name (`blocks.3.norm1.scale`).
  public let name: String
  public let shape: [Int]
  /// The node that uses it and its position among that node's weights (in the order of the
  /// node's operation roles): where an HDF5 export puts it, Keras style.
  public let node: String
  public let slot: Int
  /// The checkpoint tensor it holds, as the original Flax code keys and shapes it at the
  /// export's resolution: what a checkpoint written back holds.
  public let flax: FlaxTensor

  public init(name: String, shape: [Int], node: String, slot: Int, flax: FlaxTensor) {
    self.name = name
    self.shape = shape
    self.node = node
    self.slot = slot
    self.flax = flax
  }
}

/// A tensor as the original Flax code has it in an `.npz` checkpoint.
public struct FlaxTensor: Sendable, Equatable {
  /// The archive key, key prefix included (`Transformer/encoder_norm/scale`).
  public let key: String
  /// Its shape in the Flax layout: the stored shape (GroupNorm's `(1, 1, 1, C)` kept), or the
  /// new one of a position embedding resized for another resolution.
  public let shape: [Int]

  public init(key: String, shape: [Int]) {
    self.key = key
    self.shape = shape
  }
}

/// One class of a classification head, for formats that name the classes.
public struct ClassLabel: Sendable, Equatable, Encodable {
  /// The WordNet id (`n01440764`), when the list has one.
  public let wordnetID: String?
  /// The class name (`tench, Tinca tinca`).
  public let name: String

  public init(wordnetID: String?, name: String) {
    self.wordnetID = wordnetID
    self.name = name
  }
}

/// What an export writer is asked to write: the canonical graph, known before any weight is
/// written, and every tensor in the order they will come.
public struct ExportWriteRequest: Sendable {
  /// The folder or file to create.
  public var path: String
  /// The program writing it.
  public var generator: Generator
  /// Element type of every tensor (`float32`, `float16` or `bfloat16`).
  public var dtype: DType
  /// Every tensor, in the order they will be written.
  public var tensors: [ExportTensor]
  /// The canonical layers, which formats with their own graph language translate.
  public var nodes: [Node]
  /// The input contract.
  public var input: InputContract
  /// The outputs, primary first.
  public var outputs: [GraphOutput]
  /// Format-specific options.
  public var options: ExportOptions
  /// Allow an existing output to be replaced.
  public var replacing: Bool
  /// The head's classes in order, when a known list matches its size (ImageNet-1k, -21k); read
  /// only by formats that name classes (``ExportFormat/namesClasses``).
  public var labels: [ClassLabel]?

  public init(
    path: String, generator: Generator, dtype: DType, tensors: [ExportTensor], nodes: [Node],
    input: InputContract, outputs: [GraphOutput], options: ExportOptions, replacing: Bool,
    labels: [ClassLabel]? = nil
  ) {
    self.path = path
    self.generator = generator
    self.dtype = dtype
    self.tensors = tensors
    self.nodes = nodes
    self.input = input
    self.outputs = outputs
    self.options = options
    self.replacing = replacing
    self.labels = labels
  }

  /// Canonical shape of every tensor, by name.
  var shapes: [String: [Int]] { Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) }) }

  /// Bytes of tensor data in the whole export.
  var totalBytes: Int { tensors.reduce(0) { $0 + $1.shape.reduce(1, *) * dtype.itemSize } }
}

/// What a finished export is, for the summary line: `in 2 shards`, `in HDF5 (118.7 MiB compressed)`.
public struct WrittenExport: Sendable {
  /// How the weights are stored, in words that follow the data size.
  public let storage: String
  /// Every file written (the folder's files, or the file and its data file).
  public let files: [String]
  /// What a user of the export must know that the format cannot say itself (how to get the
  /// original numerics from a library, what it computes differently); one sentence each.
  public let notes: [String]
  /// The export as its commit put it in place (``AtomicOutput/commit(madeOf:)``, as
  /// ``Exports/identity(of:)`` finds it), so that a later look can tell whether another run has
  /// replaced it since.
  public let identity: FileIdentity?

  public init(storage: String, files: [String], notes: [String] = [], identity: FileIdentity?) {
    self.storage = storage
    self.files = files
    self.notes = notes
    self.identity = identity
  }
}

/// Writes an export, one tensor at a time in the planned order, into temporary siblings that
/// ``finish(beforeCommit:header:)`` moves into place.
public protocol ExportWriter: AnyObject {
  /// Bytes of tensor data in the whole export.
  var totalBytes: Int { get }
  /// Bytes of tensor data written so far.
  var bytesWritten: Int { get }
  /// Writes the next tensor; `produce` must pass exactly its bytes (little-endian, the
  /// export's dtype) to the sink, in any number of chunks.
  func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
  /// Completes the export with its header, built from the CRC-32C of every tensor's stored
  /// bytes (hex, by name), and moves it into place.
  ///
  /// `beforeCommit` is given the complete export while it is still staged in temporary
  /// siblings (``StagedFiles``): what it throws abandons the export, and an output it would have
  /// replaced stays as it was.
  func finish(
    beforeCommit: (StagedFiles) throws -> Void, header: (_ crc32c: [String: String]) throws -> ExportHeader
  ) throws -> WrittenExport
}

/// A complete export not yet in place: where its files are until its commit.
public struct StagedFiles: Sendable {
  /// The export's temporary sibling, where exports of its format are recognised by content.
  public let path: String
  /// Files the export refers to by name beside it (an ONNX model's data file), by that name:
  /// where they are until the commit (``OpenOptions/stagedSiblings`` opens the export so).
  public let siblings: [String: String]

  public init(path: String, siblings: [String: String] = [:]) {
    self.path = path
    self.siblings = siblings
  }

  /// `text` (a message about the staged files) with each staged path replaced by the one it
  /// gets when the export is committed as `output` (a sibling named as `output` is).
  public func naming(_ text: String, asCommittedTo output: String) -> String {
    let folder = (output as NSString).deletingLastPathComponent
    return siblings.reduce(text.replacingOccurrences(of: path, with: output)) { text, sibling in
      text.replacingOccurrences(of: sibling.value, with: folder.isEmpty ? sibling.key : folder + "/" + sibling.key)
    }
  }
}
