import Formats
import Foundation
import Graph
import Imaging
import Kernels
import Runtime

/// What `classify` should do.
public struct ClassificationRequest: Sendable {
  /// The export: a bundle folder, an `.h5` or an `.onnx` file.
  public var export: String
  /// JPEG and PNG files.
  public var images: [String]
  /// Classes listed per image.
  public var top = 5
  /// `imagenet1k`, `imagenet21k` or a file; nil picks the shipped list by the head's size.
  public var labels: String?
  /// Threads per operation (nil: all cores).
  public var threads: Int?
  /// How the export is opened: checksums, where an HDF5 file is read.
  public var opening = OpenOptions()
  /// Images decoded and run together: bounds memory on long lists (the results do not depend on it).
  public var batchSize = 16
  /// Where a features export's embeddings are to be written: required for one, refused for a
  /// classifying export, and checked before any image is read.
  public var output: String?

  public init(export: String, images: [String]) {
    self.export = export
    self.images = images
  }
}

/// One class of an image's top list.
public struct Prediction: Encodable, Sendable, Equatable {
  /// Class index in the head.
  public let index: Int
  /// Softmax of the logits over all classes.
  public let probability: Double
  public let logit: Float
  public let label: LabelSet.Label?
}

/// An image that could not be classified.
public struct ImageFailure: Encodable, Sendable, Equatable {
  public let path: String
  public let reason: String
}

/// What `classify` found.
public struct ClassificationReport: Encodable, Sendable {
  public struct ImageResult: Encodable, Sendable {
    public let path: String
    public let predictions: [Prediction]
  }

  public let format = "mixer-convert.classify"
  public let version = 1
  public let export: String
  public let model: String
  public let classes: Int
  /// Where the labels came from, or nil when there are none for this head.
  public let labels: String?
  public let results: [ImageResult]
  public let failures: [ImageFailure]
}

/// The embeddings of a features export.
public struct FeatureReport: Sendable {
  public let export: String
  public let model: String
  /// Where they are to be written (the request's ``ClassificationRequest/output``).
  public let output: String
  /// `(images, D)` in the order of ``images``; nil when no image could be decoded.
  public let features: Tensor?
  /// The images that were decoded, one row each.
  public let images: [String]
  public let failures: [ImageFailure]
}

/// Classifies images with an export, preprocessing them as its input contract says.
public enum Classifier {
  /// Either kind of result, by the export's primary output.
  public enum Outcome: Sendable {
    case classes(ClassificationReport)
    case features(FeatureReport)
  }

  public static func classify(_ request: ClassificationRequest) throws -> Outcome {
    let export = try Exports.open(request.export, request.opening)
    let header = export.header
    let primary = header.outputs[0]
    let preprocessor = try InputPreprocessor(contract: header.input)
    var labels: LabelSet?
    if primary.name == "logits" {
      guard primary.shape.count == 2 else {
        throw ClassificationError(
          "\(request.export): classifies every token (its logits are \(symbolicShape(primary.shape))); "
            + "classify needs one prediction per image (run gives every token's logits)")
      }
      labels = try labelSet(request.labels, classes: primary.shape[1])
      if let output = request.output {
        throw ClassificationError(
          "\(request.export) classifies; an embeddings file (\(output)) is for a features export",
          remedy: .dropEmbeddingsFile)
      }
    }
    guard primary.name == "logits" || request.output != nil else {
      throw ClassificationError(
        "\(request.export) is a features export: it gives embeddings, not classes",
        remedy: .nameEmbeddingsFile)
    }
    let (read, rows, failures) = try primaryOutputs(export, request, preprocessor, output: primary.name)
    if primary.name != "logits", let output = request.output {
      let features = read.isEmpty ? nil : Tensor(shape: [read.count, rows.count / read.count], scalars: rows)
      return .features(
        FeatureReport(
          export: request.export, model: header.model.name, output: output,
          features: features, images: read, failures: failures))
    }
    let classes = primary.shape[1]
    let results = read.indices.map { i in
      let logits = Array(rows[(i * classes)..<((i + 1) * classes)])
      return ClassificationReport.ImageResult(path: read[i], predictions: top(logits, request.top, labels))
    }
    return .classes(
      ClassificationReport(
        export: request.export, model: header.model.name, classes: classes,
        labels: labels?.source, results: results, failures: failures))
  }

  /// The primary output of every image that decodes, one row per image in `rows`, in the order
  /// given; run `batchSize` images at a time, with the weights packed once. Each image is
  /// preprocessed as soon as it is decoded, so memory holds one decoded image at a time.
  private static func primaryOutputs(
    _ export: any LoadedExport, _ request: ClassificationRequest,
    _ preprocessor: InputPreprocessor, output name: String
  )
    throws -> (read: [String], rows: [Float], failures: [ImageFailure])
  {
    let runner = try ExportRunner(export, compute: Compute(threads: request.threads))
    try runner.checkMemory(batch: min(request.batchSize, request.images.count))
    var read: [String] = []
    var rows: [Float] = []
    var failures: [ImageFailure] = []
    var start = 0
    while start < request.images.count {
      let chunk = request.images[start..<min(start + max(request.batchSize, 1), request.images.count)]
      start = chunk.endIndex
      var images: [[Float]] = []
      for path in chunk {
        do {
          images.append(preprocessor.input(try ImageDecoder.decode(path: path)))
          read.append(path)
        } catch let error as ImageError {
          failures.append(ImageFailure(path: path, reason: error.reason))
        }
      }
      guard !images.isEmpty else { continue }
      // One copy of the batch while it runs, as the memory check counts.
      let batch = preprocessor.batch(images)
      images.removeAll()
      rows += try runner.run(batch)[name]!.scalars
    }
    return (read, rows, failures)
  }

  /// The labels asked for, or the shipped list matching the head; refuses a list of another size.
  static func labelSet(_ choice: String?, classes: Int) throws -> LabelSet? {
    guard let choice else { return try LabelSet.forHead(classes: classes) }
    let set = try LabelSet.Builtin(rawValue: choice).map(LabelSet.builtin) ?? LabelSet.file(choice)
    guard set.labels.count == classes else {
      throw LabelError(
        source: set.source, reason: "lists \(set.labels.count) classes, but the export's head has \(classes)")
    }
    return set
  }

  /// The `k` most probable classes: softmax over all logits in double precision, largest
  /// first, ties by lower index.
  static func top(_ logits: [Float], _ k: Int, _ labels: LabelSet?) -> [Prediction] {
    let largest = Double(logits.max() ?? 0)
    let weights = logits.map { exp(Double($0) - largest) }
    let total = weights.reduce(0, +)
    let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
    return order.prefix(k).map { index in
      Prediction(index: index, probability: weights[index] / total, logit: logits[index], label: labels?.labels[index])
    }
  }
}
