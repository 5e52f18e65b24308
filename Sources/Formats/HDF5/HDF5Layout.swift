import CHDF5
import Checkpoint
import Foundation

/// Names, attributes and element types of an HDF5 export (formats/hdf5-layout.md).
public enum HDF5Layout {
  /// The root attribute `format`.
  public static let formatName = "mixer-convert.hdf5"
  /// The root attribute `format_version`.
  public static let formatVersion = "1.0"
  /// The scalar string dataset holding the graph document.
  public static let graphDataset = "graph.json"
  /// The group of hard links to every weight by canonical name.
  public static let weightsGroup = "weights"
  /// gzip level of `--h5-compress` (h5py's default).
  public static let compressionLevel: UInt32 = 4
  /// Target bytes per chunk of a compressed dataset.
  static let chunkBytes = 1 << 20
  /// The eight bytes every HDF5 file starts with.
  public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Whether the open file starts with ``signature``.
  static func hasSignature(_ descriptor: Int32) -> Bool {
    var head = [UInt8](repeating: 0, count: signature.count)
    let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    return count == signature.count && head == signature
  }

  /// Where a weight lives, Keras 3 style: variable `index` of layer `node`.
  public static func datasetPath(node: String, index: Int) -> String { "layers/\(node)/vars/\(index)" }

  /// The hard link to a weight by its canonical name.
  public static func weightLink(_ name: String) -> String { weightsGroup + "/" + name }

  /// The file element type of `dtype`, little-endian: IEEE float32; IEEE half precision (a
  /// 2-byte float with 5 exponent and 10 mantissa bits, which h5py reads as float16); bfloat16
  /// as 2-byte opaque data, as Keras stores it (the `dtype` attribute says what it is).
  static func fileType(_ dtype: DType, _ calls: HDF5Calls) throws -> HDF5Handle {
    switch dtype {
    case .float32:
      return try HDF5Handle(
        H5Tcopy(mc_h5t_ieee_f32le()), close: H5Tclose, or: calls.error("cannot create a float32 type"))
    case .float16:
      let type = try HDF5Handle(
        H5Tcopy(mc_h5t_ieee_f32le()), close: H5Tclose, or: calls.error("cannot create a float16 type"))
      try calls.check(H5Tset_fields(type.id, 15, 10, 5, 0, 10), "cannot lay out a float16 type")
      try calls.check(H5Tset_precision(type.id, 16), "cannot lay out a float16 type")
      try calls.check(H5Tset_size(type.id, 2), "cannot lay out a float16 type")
      try calls.check(H5Tset_ebias(type.id, 15), "cannot lay out a float16 type")
      return type
    case .bfloat16:
      return try HDF5Handle(
        H5Tcreate(H5T_OPAQUE, 2), close: H5Tclose, or: calls.error("cannot create a 2-byte opaque type"))
    default:
      throw calls.error("\(dtype.rawValue) weights cannot be stored")
    }
  }

  /// Whether a dataset's element type is exactly the one ``fileType(_:_:)`` writes for `dtype`.
  static func matches(_ type: hid_t, _ dtype: DType) -> Bool {
    switch dtype {
    case .float32:
      return H5Tequal(type, mc_h5t_ieee_f32le()) > 0
    case .float16:
      guard H5Tget_class(type) == H5T_FLOAT, H5Tget_size(type) == 2, H5Tget_order(type) == H5T_ORDER_LE else {
        return false
      }
      var (sign, exponentPosition, exponentSize, mantissaPosition, mantissaSize) = (0, 0, 0, 0, 0)
      guard H5Tget_fields(type, &sign, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize) >= 0 else {
        return false
      }
      return (sign, exponentPosition, exponentSize, mantissaPosition, mantissaSize) == (15, 10, 5, 0, 10)
        && H5Tget_ebias(type) == 15
    case .bfloat16:
      return H5Tget_class(type) == H5T_OPAQUE && H5Tget_size(type) == 2
    default:
      return false
    }
  }
}
