import Checkpoint
import FileIO
import Formats
import Foundation
import Models

/// What `synth` should write.
public struct SynthesisRequest: Sendable {
  /// The released configuration to imitate.
  public var model: CatalogEntry
  /// Seed of the values.
  public var seed: UInt64 = 0
  /// Head size; nil writes no head (a feature extractor). At most ``Synthesizer/maxClasses``.
  public var classes: Int? = ModelCatalog.defaultClasses
  /// Spelling of ViT encoder-block names.
  public var naming: BlockNaming = .released
  /// Member compression.
  public var compression: ZipCompression = .stored
  /// Element type of every tensor.
  public var dtype: DType = .float32
  /// Replace an existing file.
  public var replacing = false

  public init(model: CatalogEntry) { self.model = model }

  /// The architecture with the requested head and naming.
  public var architecture: ModelArchitecture {
    switch model.architecture.withClasses(classes) {
    case .mixer(let config): return .mixer(config)
    case .vit(var config):
      config.naming = naming
      return .vit(config)
    }
  }
}

/// What `synth` wrote.
public struct SynthesisSummary: Encodable, Sendable {
  public let path: String
  public let model: String
  public let parameters: Int
  public let tensors: Int
  public let fileBytes: Int
  public let dtype: DType
  public let seconds: Double
}

/// Writes synthetic checkpoints with the exact key names and shapes of a released model.
public enum Synthesizer {
  /// The largest head written: four times ImageNet-21k's, and the head kernel of the widest
  /// model (ViT-H, 1280 wide) still under half a gigabyte.
  public static let maxClasses = 100_000

  /// Writes `request` to `path`, calling `progress` with bytes done and total after each tensor.
  public static func write(
    _ request: SynthesisRequest, to path: String,
    progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
  ) throws -> SynthesisSummary {
    let start = Date()
    if let classes = request.classes, !(1...maxClasses).contains(classes) {
      throw ConversionError(path: path, reason: "a head of \(classes) classes is outside 1…\(maxClasses)")
    }
    try ExportFormat.refuseInsideExport(path)
    let specs = request.architecture.layout.sorted { NaturalOrder.less($0.path, $1.path) }
    let total = specs.parameterCount * request.dtype.itemSize
    let writer = try NpzWriter(path: path, compression: request.compression, replacing: request.replacing)
    let values = SyntheticValues(seed: request.seed)
    var done = 0
    for spec in specs {
      let floats = values.values(spec)
      if request.dtype == .float32 {
        try floats.withUnsafeBytes { try writer.add(key: spec.path, dtype: .float32, shape: spec.shape, data: $0) }
      } else {
        var encoded = [UInt8](repeating: 0, count: floats.count * request.dtype.itemSize)
        // Synthetic values are small: none is beyond the range of any dtype.
        _ = encoded.withUnsafeMutableBytes { out in
          floats.withUnsafeBufferPointer {
            ElementConversion.encode($0.baseAddress!, count: floats.count, as: request.dtype, into: out.baseAddress!)
          }
        }
        try encoded.withUnsafeBytes {
          try writer.add(key: spec.path, dtype: request.dtype, shape: spec.shape, data: $0)
        }
      }
      done += floats.count * request.dtype.itemSize
      progress(done, total)
    }
    try writer.finish()
    let size = RegularFile.size(at: path) ?? 0
    return SynthesisSummary(
      path: path, model: request.model.name, parameters: specs.parameterCount,
      tensors: specs.count, fileBytes: size, dtype: request.dtype,
      seconds: Date().timeIntervalSince(start))
  }
}
