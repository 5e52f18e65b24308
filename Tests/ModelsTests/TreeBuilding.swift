import Models

@testable import Checkpoint

/// An in-memory tree with the given paths and shapes (float32), for recognition tests.
func tree(_ shapes: [(String, [Int])], dtype: DType = .float32) -> ParamTree {
  ParamTree(
    arrays: shapes.map { path, shape in
      let count = shape.reduce(1, *)
      return NpyArrayInfo(
        key: path, memberName: path + ".npy",
        header: NpyHeader(
          dtype: dtype, byteOrder: .little, fortranOrder: false, shape: shape,
          dataOffset: 128, elementCount: count, dataByteCount: count * dtype.itemSize),
        member: ZipEntry(
          index: 0, name: path + ".npy", uncompressedSize: 0, compressedSize: 0, compression: .stored, crc: 0))
    })
}

/// The tree a layout describes.
func tree(_ specs: [ParamSpec]) -> ParamTree { tree(specs.map { ($0.path, $0.shape) }) }
