import Checkpoint
import Foundation
import Imaging
import TestSupport
import Testing

/// The decoders against pixels known independently (Tests/Fixtures/images/make_images.py):
/// PNGs encoded from scratch, JPEGs decoded by Pillow's libjpeg-turbo.
@Suite struct ImageDecoderTests {
  static let images = [
    "gray1.png", "gray2.png", "gray4.png", "gray8.png", "gray16.png", "gray-alpha8.png", "gray-alpha16.png",
    "rgb8.png", "rgb16.png", "rgba8.png", "rgba16.png", "palette1.png", "palette2.png", "palette4.png",
    "palette8.png", "rgb8-interlaced.png", "baseline444.jpg", "baseline420.jpg", "progressive420.jpg",
    "progressive-gray.jpg",
  ]

  static func path(_ name: String) -> String { Fixtures.directory + "/images/" + name }

  @Test(arguments: images)
  func decodesToTheExpectedPixels(name: String) throws {
    let image = try ImageDecoder.decode(path: Self.path(name))
    let (shape, expected) = try NpyFile.readFloats(path: Self.path(name) + ".rgb.npy")
    #expect([image.height, image.width, 3] == shape)
    #expect(image.pixels.map(Float.init) == expected)
  }

  private func reason(_ bytes: [UInt8]) -> String? {
    do {
      _ = try ImageDecoder.decode(bytes, path: "x")
      return nil
    } catch let error as ImageError {
      return error.reason
    } catch {
      return "\(error)"
    }
  }

  private func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.path(name))))
  }

  @Test func brokenImagesAreRefusedWithAReason() throws {
    let jpeg = try bytes("progressive420.jpg")
    for cut in [3, 20, jpeg.count / 2, jpeg.count - 2] {
      let why = reason(Array(jpeg.prefix(cut)))
      #expect(why?.hasPrefix("not a readable JPEG") == true, "cut at \(cut): \(why ?? "decoded")")
    }
    let png = try bytes("rgb8.png")
    var badCRC = png
    badCRC[19] ^= 0x01  // the low byte of IHDR's width: the chunk's CRC no longer matches
    #expect(reason(badCRC) == "not a readable PNG: IHDR: CRC error")
    var badData = png
    badData[png.count - 20] ^= 0x01  // inside IDAT: zlib's own check fails before the chunk's CRC is read
    #expect(reason(badData)?.hasPrefix("not a readable PNG: IDAT:") == true)
    #expect(reason(Array(png.prefix(png.count / 2)))?.contains("truncated") == true)
    #expect(reason(Array("<html>not an image</html>".utf8)) == "is not a JPEG or PNG image")
    #expect(reason([]) == "is not a JPEG or PNG image")
    #expect(try reason(bytes("cmyk.jpg")) == "CMYK JPEGs are not supported: convert the image to RGB")
    // The last scan repeated until there are over a thousand: refused, not decoded for minutes.
    let lastScan = try #require((0..<(jpeg.count - 1)).last { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
    let scan = Array(jpeg[lastScan..<(jpeg.count - 2)])
    let manyScans = Array(jpeg[..<lastScan]) + Array(repeating: scan, count: 1000).flatMap { $0 } + [0xFF, 0xD9]
    #expect(reason(manyScans) == "not a readable JPEG: more than 1000 progressive scans")
    let someScans = Array(jpeg[..<lastScan]) + Array(repeating: scan, count: 20).flatMap { $0 } + [0xFF, 0xD9]
    #expect(reason(someScans) == nil, "repeated refinement scans are only warnings")
    // 100000 × 100000 pixels declared: refused from the header, before any allocation.
    let huge = TestImages.pngDeclaring(width: 100_000, height: 100_000)
    #expect(reason(huge) == "image declares 100000 × 100000 pixels, more than the 100000000 accepted")
    #expect(throws: ImageError(path: "/nonexistent/x.png", reason: "does not exist")) {
      try ImageDecoder.decode(path: "/nonexistent/x.png")
    }
  }
}
