import Graph
import Imaging
import Kernels

/// Turns decoded images into the input an export's contract describes (formats/bundle-v1.md,
/// "InputContract"): bilinear resize with half-pixel centres and no antialiasing, no crop,
/// then `(pixel − center) / divisor` in float32.
public struct InputPreprocessor: Sendable {
  public let contract: InputContract

  /// Checks that the contract asks for the preprocessing implemented here.
  public init(contract: InputContract) throws {
    let p = contract.preprocessing
    guard p.colorSpace == "RGB", p.resize.method == "bilinear", p.resize.halfPixelCenters, !p.resize.antialias,
      p.crop == "none", contract.shape.count == 4, contract.shape[3] == 3
    else {
      throw ClassificationError("the export's input contract asks for preprocessing this tool does not implement: "
                               + p.description)
    }
    self.contract = contract
  }

  /// One image as float32 HWC values ready for the export.
  public func input(_ image: RGBImage) -> [Float] {
    let resize = contract.preprocessing.resize
    let center = Float(contract.preprocessing.pixelCenter)
    let divisor = Float(contract.preprocessing.pixelDivisor)
    return BilinearResize.resize(image, height: resize.height, width: resize.width).map { ($0 - center) / divisor }
  }

  /// A batch of images as one NHWC tensor.
  public func batch(_ images: [RGBImage]) -> Tensor {
    let (height, width) = (contract.preprocessing.resize.height, contract.preprocessing.resize.width)
    return Tensor(shape: [images.count, height, width, 3], scalars: images.flatMap(input))
  }
}
