import CImageDecode
import FileIO
import Foundation

/// Reads JPEG and PNG files to 8-bit RGB, as TensorFlow's `decode_jpeg` and `decode_png`
/// with three channels do (formats/bundle-v1.md, "InputContract"), through libjpeg-turbo and
/// libpng. The format comes from the file's signature, not its name.
public enum ImageDecoder {
  /// The most pixels an image may declare (refused before anything is allocated).
  public static let maxPixels = 100_000_000
  /// The largest file read.
  public static let maxFileBytes = 512 << 20

  /// Decodes the image file at `path`.
  public static func decode(path: String) throws -> RGBImage {
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(path, limit: maxFileBytes) } catch {
      throw ImageError(path: path, reason: error.exceededLimit != nil ? "is larger than 512 MiB" : error.reason)
    }
    return try decode(bytes, path: path)
  }

  /// Decodes an image held in memory; `path` names it in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> RGBImage {
    let decoder: (UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<mc_image>?) -> Int32
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
      decoder = mc_decode_jpeg
    } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
      decoder = mc_decode_png
    } else {
      throw ImageError(path: path, reason: "is not a JPEG or PNG image")
    }
    var image = mc_image()
    let status = bytes.withUnsafeBufferPointer { decoder($0.baseAddress, $0.count, UInt64(maxPixels), &image) }
    defer { mc_image_free(&image) }
    guard status == 0, let pixels = image.pixels else {
      let reason = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      throw ImageError(path: path, reason: reason)
    }
    let (width, height) = (Int(image.width), Int(image.height))
    return RGBImage(
      width: width, height: height, pixels: Array(UnsafeBufferPointer(start: pixels, count: width * height * 3)))
  }
}
