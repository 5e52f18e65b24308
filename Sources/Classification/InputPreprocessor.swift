import Graph
import Imaging
import Kernels

/// Turns decoded images into the input an export's contract describes (formats/bundle-v1.md,
/// "InputContract"): bilinear resize with half-pixel centres and no antialiasing, no crop,
/// then `(pixel − center) / divisor` in float32.
public struct InputPreprocessor: Sendable {
  public let contract: InputContract

  /// Checks that the contract asks for the preprocessing implemented here, and that it maps
  /// every pixel value (0…255) to a finite value inside the contract's own value range.
  public init(contract: InputContract) throws {
    let p = contract.preprocessing
    guard p.colorSpace == "RGB", p.resize.method == "bilinear", p.resize.halfPixelCenters, !p.resize.antialias,
      p.crop == "none", contract.shape.count == 4, contract.shape[3] == 3,
      p.resize.height == contract.shape[1], p.resize.width == contract.shape[2]
    else {
      throw ClassificationError(
        "the export's input contract asks for preprocessing this tool does not implement: "
          + p.description)
    }
    let ends = [0, 255].map { (Float($0) - Float(p.pixelCenter)) / Float(p.pixelDivisor) }
    let inRange: Bool
    do { inRange = try contract.checkValues(ends) == nil } catch { inRange = false }
    guard inRange else {
      throw ClassificationError(
        "the export's input contract is inconsistent: its preprocessing maps pixels 0…255 to "
          + "\(ends[0])…\(ends[1]), outside its value range \(contract.valueRange)")
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

  /// A batch of preprocessed images (each ``input(_:)``'s values) as one NHWC tensor.
  public func batch(_ inputs: [[Float]]) -> Tensor {
    let (height, width) = (contract.preprocessing.resize.height, contract.preprocessing.resize.width)
    return Tensor(shape: [inputs.count, height, width, 3], scalars: Array(inputs.joined()))
  }
}
