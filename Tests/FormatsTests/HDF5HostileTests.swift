import CHDF5
import Foundation
import TestSupport
import Testing

@testable import Formats

/// HDF5 files edited through libhdf5 into what the reader must refuse: links to other files
/// (issue 13, finding 11) and a graph document whose sizes overflow (finding 7).
@Suite struct HDF5HostileTests {
  /// Converts the tiny Mixer to `name` in `dir`.
  private func export(_ dir: TemporaryDirectory, _ name: String) throws -> String {
    let result = try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file(name), "--quiet"])
    #expect(result.status == 0, "\(result.standardError)")
    return dir.file(name)
  }

  /// Opens `path` for writing and hands its file id to `edit`.
  private func edit(_ path: String, _ body: (hid_t, HDF5Calls) throws -> Void) throws {
    #expect(HDF5Library.unavailable == nil)
    let calls = HDF5Calls(path: path)
    let file = try calls.file(path, .readWrite, or: calls.error("open"))
    try body(file.id, calls)
    try calls.check(file.closeNow(), "close")
  }

  @Test func externalLinksAreRefusedWhereverTheyAre() throws {
    let dir = TemporaryDirectory()
    let other = try export(dir, "other.h5")
    let dataset = "layers/stem/vars/0"
    for (name, link) in [("dataset.h5", dataset), ("group.h5", "layers/stem"), ("graph.h5", HDF5Layout.graphDataset)] {
      let path = try export(dir, name)
      try edit(path) { file, calls in
        try calls.check(H5Ldelete(file, link, mc_h5p_default()), "delete")
        try calls.check(H5Lcreate_external(other, "/" + link, file, link, mc_h5p_default(), mc_h5p_default()), "link")
      }
      #expect { try LoadedHDF5(path: path) } throws: { error in
        (error as? ExportFileError)?.reason.contains("'\(link)' is an external link (to another file): refused") == true
      }
      let result = try CommandRunner.run(["inspect", path])
      #expect(result.status == 2 && result.standardError.contains("is an external link"), "\(result.standardError)")
    }
  }

  @Test func softLinksAreRefusedToo() throws {
    let dir = TemporaryDirectory()
    let path = try export(dir, "soft.h5")
    try edit(path) { file, calls in
      try calls.check(H5Ldelete(file, "weights/stem.kernel", mc_h5p_default()), "delete")
      try calls.check(
        H5Lcreate_soft("/layers/stem/vars/0", file, "weights/stem.kernel", mc_h5p_default(), mc_h5p_default()),
        "link")
      try calls.check(
        H5Lmove(file, "layers/stem/vars/0", file, "layers/stem/vars/moved", mc_h5p_default(), mc_h5p_default()),
        "move")
      try calls.check(
        H5Lcreate_soft("/weights/stem.kernel", file, "layers/stem/vars/0", mc_h5p_default(), mc_h5p_default()),
        "link")
    }
    #expect { try LoadedHDF5(path: path) } throws: {
      ($0 as? ExportFileError)?.reason.contains("is not a hard link") == true
    }
  }

  /// A Reshape to `[-1, 2^32, 2^32, 16]` inside an `.h5`: refused in one line by the reader
  /// (before, its overflow trapped the child and the parent said "libhdf5 crashed").
  @Test func overflowingShapesInsideAnHDF5FileAreRefusedInOneLine() throws {
    let dir = TemporaryDirectory()
    let path = try export(dir, "overflow.h5")
    var object = try JSONSerialization.jsonObject(with: Data(try readGraph(path).utf8)) as! [String: Any]
    var nodes = object["nodes"] as! [[String: Any]]
    let index = nodes.firstIndex { $0["op"] as? String == "Reshape" }!
    nodes[index]["attributes"] = ["shape": [-1, 1 << 32, 1 << 32, 16]]
    object["nodes"] = nodes
    let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    try edit(path) { file, calls in
      try calls.check(H5Ldelete(file, HDF5Layout.graphDataset, mc_h5p_default()), "delete")
      let type = try calls.utf8StringType()
      let space = try calls.scalarSpace()
      let dataset = try HDF5Handle(
        H5Dcreate2(
          file, HDF5Layout.graphDataset, type.id, space.id, mc_h5p_default(),
          mc_h5p_default(), mc_h5p_default()), close: H5Dclose, or: calls.error("create"))
      try calls.check(mc_h5d_write_string(dataset.id, type.id, json), "write")
    }
    #expect { try LoadedHDF5(path: path) } throws: {
      ($0 as? ExportFileError)?.reason.contains("cannot reshape") == true
    }
    let result = try CommandRunner.run(["inspect", path])
    #expect(
      result.status == 2 && result.standardError.contains("cannot reshape")
        && !result.standardError.contains("crashed"),
      "\(result.standardError)")
    #expect(result.standardError.split(separator: "\n").count == 1)
  }

  /// The `graph.json` dataset of `path`, as stored.
  private func readGraph(_ path: String) throws -> String {
    let calls = HDF5Calls(path: path)
    let file = try calls.file(path, .readOnly, or: calls.error("open"))
    let dataset = try HDF5Handle(
      H5Dopen2(file.id, HDF5Layout.graphDataset, mc_h5p_default()), close: H5Dclose,
      or: calls.error("open graph"))
    return try calls.readString(
      dataset.id, what: "graph", read: mc_h5d_read_string, type: H5Dget_type, space: H5Dget_space)
  }
}
