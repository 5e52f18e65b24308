/// An 8-bit RGB image, row-major, three bytes per pixel.
public struct RGBImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// `height · width · 3` bytes: R, G, B per pixel, rows top to bottom.
  public let pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
    self.width = width
    self.height = height
    self.pixels = pixels
  }
}
