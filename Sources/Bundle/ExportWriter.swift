import Checkpoint
import Graph

/// The container an export is written as.
public enum ExportFormat: String, Codable, Sendable, CaseIterable {
  /// A bundle folder: graph.json, an index and safetensors shards (formats/bundle-v1.md).
  case bundle
  /// One HDF5 file (formats/hdf5-layout.md).
  case hdf5

  /// The format an output path implies: HDF5 for `.h5` and `.hdf5`, a bundle otherwise.
  public static func implied(by path: String) -> ExportFormat { HDF5Layout.isHDF5Path(path) ? .hdf5 : .bundle }
}

/// One tensor an export will hold.
public struct ExportTensor: Sendable {
  /// Canonical name (`blocks.3.norm1.scale`).
  public let name: String
  public let shape: [Int]
  /// The node that uses it and its position among that node's weights (in the order of the
  /// node's operation roles): where an HDF5 export puts it, Keras style.
  public let node: String
  public let slot: Int

  public init(name: String, shape: [Int], node: String, slot: Int) {
    self.name = name
    self.shape = shape
    self.node = node
    self.slot = slot
  }
}

/// Where the tensors of an export ended up, for the manifest of its graph document.
public struct WrittenTensors: Sendable {
  /// How they are stored.
  public let storage: WeightStorage
  /// The shards, in order (safetensors storage).
  public let shards: [Shard]
  /// Tensor name → shard file (safetensors) or dataset path (HDF5).
  public let locations: [String: String]
  /// Tensor name → CRC-32C of its stored bytes (hex).
  public let crc32c: [String: String]

  /// The manifest entry of a written tensor.
  public func entry(_ name: String, shape: [Int], source: String, sourceDtype: String, sourceShape: [Int],
                    transform: WeightTransform?) -> TensorEntry {
    let location = locations[name]!
    return TensorEntry(shape: shape, shard: storage == .safetensors ? location : nil,
                       dataset: storage == .hdf5 ? location : nil, crc32c: crc32c[name]!, source: source,
                       sourceDtype: sourceDtype, sourceShape: sourceShape, transform: transform)
  }

  /// The manifest of every written tensor.
  public func manifest(dtype: DType, tensors: [String: TensorEntry]) -> WeightManifest {
    switch storage {
    case .safetensors: WeightManifest(dtype: dtype.rawValue, index: BundleLayout.indexFile, shards: shards, tensors: tensors)
    case .hdf5: WeightManifest(dtype: dtype.rawValue, hdf5Tensors: tensors)
    }
  }
}

/// Writes an export, one tensor at a time in the planned order, into a temporary sibling that
/// ``finish(graph:)`` moves into place.
public protocol ExportWriter: AnyObject {
  /// Bytes of tensor data in the whole export.
  var totalBytes: Int { get }
  /// Bytes of tensor data written so far.
  var bytesWritten: Int { get }
  /// Writes the next tensor; `produce` must pass exactly its bytes (little-endian, the
  /// export's dtype) to the sink, in any number of chunks.
  func writeTensor(_ name: String, produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
  /// Writes the graph document, built from where the tensors went, and moves the export into
  /// place.
  func finish(graph: (WrittenTensors) throws -> GraphDocument) throws
}
