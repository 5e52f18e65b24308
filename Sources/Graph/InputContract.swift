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

  /// The contract of every original model: RGB resized to `height × width`, scaled to [-1, 1].
  public static func image(height: Int, width: Int) -> InputContract {
    InputContract(name: "image", layout: "NHWC", shape: [-1, height, width, 3], dtype: "float32",
                  valueRange: [-1, 1], preprocessing: Preprocessing(
                    colorSpace: "RGB",
                    resize: Resize(height: height, width: width, method: "bilinear", halfPixelCenters: true,
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
