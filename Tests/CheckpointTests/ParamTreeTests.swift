import TestSupport
import Testing

@testable import Checkpoint

@Suite struct ParamTreeTests {
  private func info(_ key: String, _ shape: [Int]) -> NpyArrayInfo {
    let count = shape.reduce(1, *)
    return NpyArrayInfo(
      key: key, memberName: key + ".npy",
      header: NpyHeader(
        dtype: .float32, byteOrder: .little, fortranOrder: false, shape: shape,
        dataOffset: 128, elementCount: count, dataByteCount: 4 * count),
      member: ZipEntry(
        index: 0, name: key + ".npy", uncompressedSize: 128 + 4 * count, compressedSize: 128 + 4 * count,
        compression: .stored, crc: 0))
  }

  @Test func naturalOrderSortsNumbersByValue() {
    let names = ["block_10", "block_2", "block_1", "Block_3", "block_02", "a"]
    #expect(names.sorted(by: NaturalOrder.less) == ["Block_3", "a", "block_1", "block_02", "block_2", "block_10"])
  }

  @Test func treeSubtotalsAndLookup() {
    let tree = ParamTree(arrays: [info("b/y", [2, 3]), info("a/x", [4]), info("b/c/z", [5]), info("b/c/w", [1, 1])])
    #expect(tree.leaves.map(\.path) == ["a/x", "b/c/w", "b/c/z", "b/y"])
    #expect(tree.parameterCount == 16)
    #expect(tree.shape("b/y") == [2, 3])
    #expect(tree["nope"] == nil)
    #expect(tree.childNames(of: "b") == ["c", "y"])
    let root = tree.root
    #expect(root.children.map(\.name) == ["a", "b"])
    let b = root.children[1]
    #expect(b.parameterCount == 12 && b.tensorCount == 3 && b.byteCount == 48)
    #expect(b.children.map(\.path) == ["b/c", "b/y"])
  }

  @Test(arguments: ["params/", "opt/target/", "params/img/"])
  func knownPrefixesAreRemovedAndReported(prefix: String) {
    let tree = ParamTree(arrays: [
      info(prefix + "stem/kernel", [1]), info(prefix + "head/bias", [2]),
      info("opt/state/step", [1]),
    ])
    #expect(tree.prefix == prefix)
    #expect(tree.leaves.map(\.path) == ["head/bias", "stem/kernel"])
    #expect(tree.keysOutsidePrefix == ["opt/state/step"])
  }

  @Test func noPrefixOnReleasedFiles() throws {
    let file = try NpzFile(path: Fixtures.path("vit_tiny_token"))
    let tree = ParamTree(arrays: file.arrays)
    #expect(tree.prefix == "")
    #expect(tree.keysOutsidePrefix.isEmpty)
    #expect(tree.parameterCount == 42666)
  }
}
