import Imaging

extension FuzzTargets {
  /// PNG decoding through the C shim over libpng (every colour type and bit depth, interlacing,
  /// the pixel cap), then the bilinear resize of the input contract.
  static let pngTarget = FuzzTarget(name: "png", summary: "PNG decoding (libpng through CImageDecode), resize") {
    bytes in
    decodeAndResize(bytes)
  }

  /// JPEG decoding through the C shim over libjpeg-turbo (baseline and progressive, the scan
  /// limit, the pixel cap), then the bilinear resize of the input contract.
  static let jpegTarget = FuzzTarget(name: "jpeg", summary: "JPEG decoding (libjpeg through CImageDecode), resize") {
    bytes in
    decodeAndResize(bytes)
  }

  private static func decodeAndResize(_ bytes: UnsafeRawBufferPointer) {
    guard let image = try? ImageDecoder.decode(Array(bytes), path: "input") else { return }
    _ = BilinearResize.resize(image, height: 7, width: 9)
  }
}
