import Foundation

/// What a graph expects as input, and how to get there from an image.
public struct InputContract: Codable, Equatable, Sendable {
  /// Name the nodes use for the input (`image`).
  public var name: String
  /// Always `NHWC`.
  public var layout: String
  /// `[-1, height, width, 3]`.
  public var shape: [Int]
  /// Always `float32`.
  public var dtype: String
  /// `[-1, 1]`.
  public var valueRange: [Double]
  /// The evaluation preprocessing of the original models.
  public var preprocessing: Preprocessing

  /// The largest side an input image may have, in pixels (exports and the inputs they accept).
  public static let maxSide = 4096

  /// The contract of every original model: RGB resized to `height × width`, scaled to [-1, 1].
  public static func image(height: Int, width: Int) -> InputContract {
    InputContract(
      name: "image", layout: "NHWC", shape: [-1, height, width, 3], dtype: "float32",
      valueRange: [-1, 1],
      preprocessing: Preprocessing(
        colorSpace: "RGB",
        resize: Resize(
          height: height, width: width, method: "bilinear", halfPixelCenters: true,
          antialias: false),
        crop: "none", pixelCenter: 127.5, pixelDivisor: 127.5,
        description: "Decode to RGB (8-bit), resize to \(height)×\(width) with bilinear interpolation, "
          + "half-pixel centres and no antialiasing (tf.image.resize's default) and no crop, then "
          + "x = (pixel − 127.5) / 127.5 in float32, in [-1, 1]."))
  }

  enum CodingKeys: String, CodingKey {
    case name, layout, shape, dtype, valueRange = "value_range", preprocessing
  }
}

/// How an 8-bit RGB image becomes the input tensor.
public struct Preprocessing: Codable, Equatable, Sendable {
  public var colorSpace: String
  public var resize: Resize
  public var crop: String
  /// `x = (pixel − pixelCenter) / pixelDivisor`, in float32, in that order (the original
  /// pipeline's arithmetic, so results match it to the bit).
  public var pixelCenter: Double
  public var pixelDivisor: Double
  public var description: String

  enum CodingKeys: String, CodingKey {
    case colorSpace = "color_space", resize, crop, pixelCenter = "pixel_center", pixelDivisor = "pixel_divisor"
    case description
  }
}

/// The resize step of the preprocessing.
public struct Resize: Codable, Equatable, Sendable {
  public var height: Int
  public var width: Int
  public var method: String
  public var halfPixelCenters: Bool
  public var antialias: Bool

  enum CodingKeys: String, CodingKey {
    case height, width, method, halfPixelCenters = "half_pixel_centers", antialias
  }
}

extension InputContract {
  /// Checks an input's shape against the contract: a batch of at least one image of the
  /// contract's height and width, with 3 channels.
  ///
  /// - Throws: ``GraphError`` saying what the shape should be.
  public func checkShape(_ input: [Int]) throws {
    let (height, width) = (shape[1], shape[2])
    guard input.count == 4, input[1] == height, input[2] == width, input[3] == 3 else {
      throw GraphError("input has shape \(input); the export takes [batch, \(height), \(width), 3]")
    }
    guard input[0] > 0 else { throw GraphError("input holds no image (its batch is 0)") }
  }

  /// Checks input values against the contract: every value must be finite (a NaN or an
  /// infinity is refused); values outside ``valueRange`` are reported, the classic sign of an
  /// image that was not normalised (0…255 pixels given to a model that takes [-1, 1]).
  ///
  /// - Returns: the values' span when some lie outside the range, nil when all are inside.
  /// - Throws: ``GraphError`` counting the values that are not finite.
  public func checkValues(_ values: [Float]) throws -> InputOutsideRange? {
    var smallest = Float.infinity
    var largest = -Float.infinity
    var nonFinite = 0
    for value in values {
      if !value.isFinite { nonFinite += 1; continue }
      smallest = min(smallest, value)
      largest = max(largest, value)
    }
    guard nonFinite == 0 else {
      throw GraphError(
        "the input holds \(nonFinite) NaN or infinite value\(nonFinite == 1 ? "" : "s") of \(values.count)")
    }
    guard !values.isEmpty, valueRange.count == 2,
      Double(smallest) < valueRange[0] || Double(largest) > valueRange[1]
    else { return nil }
    return InputOutsideRange(smallest: smallest, largest: largest, range: valueRange)
  }
}

/// Input values that leave the contract's range, the classic sign of an image that was not
/// normalised.
public struct InputOutsideRange: Codable, Equatable, Sendable {
  /// The smallest input value.
  public let smallest: Float
  /// The largest input value.
  public let largest: Float
  /// The contract's range, `[-1, 1]`.
  public let range: [Double]

  /// `values span 0.0…255.0, outside the input contract's [-1, 1]: was the image normalised?`
  public var sentence: String {
    "values span \(smallest)…\(largest), outside the input contract's "
      + "[\(range.map { String(format: "%g", $0) }.joined(separator: ", "))]: was the image normalised?"
  }
}
