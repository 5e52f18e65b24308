import Checkpoint
import Conversion
import Formats
import Foundation
import Kernels
import TestSupport
import Testing

/// The HDF5 export against the bundle export of the same checkpoint: same bytes per tensor,
/// same outputs bit for bit.
@Suite struct HDF5Tests {
  /// The outputs of `export` on a fixture's input.
  private func outputs(_ export: String, _ fixture: String) throws -> [String: Tensor] {
    try run(export, on: fixture)
  }

  @Test(arguments: Fixtures.cases)
  func hdf5HoldsWhatTheBundleHoldsAndRunsIdentically(fixture: String) throws {
    let dir = TemporaryDirectory()
    let bundlePath = try convert(Fixtures.path(fixture), into: dir, name: "b")
    let plain = try convert(Fixtures.path(fixture), into: dir, name: "m.h5")
    let packed = try convert(Fixtures.path(fixture), into: dir, name: "c.hdf5") { $0.options.compressed = true }
    let bundle = try LoadedBundle(path: bundlePath)
    let expected = try outputs(bundlePath, fixture)
    for path in [plain, packed] {
      let export = try LoadedHDF5(path: path)
      #expect(export.graph.nodes == bundle.graph.nodes && export.header.outputs == bundle.header.outputs)
      #expect(Set(export.header.weights.tensors.keys) == Set(bundle.header.weights.tensors.keys))
      for name in bundle.header.weights.tensors.keys {
        #expect(Array(export.storedBytes(of: name)!) == Array(bundle.storedBytes(of: name)!), "\(path): \(name)")
        #expect(export.header.weights.tensors[name]?.crc32c == bundle.header.weights.tensors[name]?.crc32c)
      }
      let produced = try outputs(path, fixture)
      for (name, tensor) in expected {
        #expect(produced[name]?.scalars == tensor.scalars, "\(path): output \(name) differs from the bundle's")
      }
    }
    #expect(
      maxDifference(
        expected[bundle.header.outputs[0].name]!, try golden(fixture, bundle.header.outputs[0].name + ".npy")) <= 1e-5)
  }

  @Test(arguments: [DType.float16, .bfloat16])
  func narrowerDtypesStoreTheBundlesBytesAndVerify(dtype: DType) throws {
    let dir = TemporaryDirectory()
    let source = Fixtures.path("r50_vit_tiny")
    let bundle = try LoadedBundle(path: try convert(source, into: dir, name: "b") { $0.dtype = dtype })
    let path = try convert(source, into: dir, name: "m.h5") {
      $0.dtype = dtype; $0.options.compressed = true
    }
    let export = try LoadedHDF5(path: path)
    #expect(export.header.weights.dtype == dtype.rawValue)
    for name in bundle.header.weights.tensors.keys {
      #expect(Array(export.storedBytes(of: name)!) == Array(bundle.storedBytes(of: name)!), "\(name)")
    }
    let report = try Verifier.verify(VerificationRequest(checkpoint: source, export: path))
    #expect(report.passed && report.weights.exact == report.weights.tensors)
  }

  @Test func writingIsDeterministicAndAtomic() throws {
    let dir = TemporaryDirectory()
    for compressed in [false, true] {
      let a = try convert(Fixtures.path("vit_tiny_repr"), into: dir, name: "a.h5") {
        $0.options.compressed = compressed; $0.replacing = true
      }
      let first = try Data(contentsOf: URL(fileURLWithPath: a))
      try FileManager.default.removeItem(atPath: a)
      _ = try convert(Fixtures.path("vit_tiny_repr"), into: dir, name: "a.h5") { $0.options.compressed = compressed }
      #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == first, "compressed: \(compressed)")
    }
    // An existing file is kept without `replacing`; a failed conversion leaves nothing.
    let before = try Data(contentsOf: URL(fileURLWithPath: dir.file("a.h5")))
    #expect(throws: (any Error).self) { try convert(Fixtures.path("mixer_tiny"), into: dir, name: "a.h5") }
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("a.h5"))) == before)
    #expect(throws: (any Error).self) {
      try convert(Fixtures.path("mixer_tiny_fe"), into: dir, name: "x.h5") { $0.variant = .classification }
    }
    #expect(dir.contents() == ["a.h5"])
  }

  /// libhdf5 opens files without close-on-exec and (from 1.10.7) `flock`s them, and a child
  /// shares the parent's open files from its creation until it closes them or runs its
  /// program. A process started with plain `posix_spawn` (which closes nothing) while a
  /// conversion writes an `.h5` must hold none of its files, nor a lock that stops the
  /// finished file being read (before, the lock made every later open fail while the child lived).
  @Test func aProcessStartedDuringAnHDF5ConversionHoldsNoneOfItsFiles() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("m.h5")
    var child: pid_t = 0
    let arguments = ["/bin/sleep", "60"].map { $0.withCString { strdup($0) } }
    defer { arguments.forEach { free($0) } }
    _ = try Converter.convert(ConversionRequest(checkpoint: Fixtures.path("mixer_tiny"), output: path)) { _, _ in
      if child == 0 { _ = posix_spawn(&child, arguments[0]!, nil, nil, arguments + [nil], environ) }
    }
    try #require(child > 0)
    defer {
      kill(child, SIGKILL)
      waitpid(child, nil, 0)
    }
    let descriptors = "/proc/\(child)/fd"
    let held = try FileManager.default.contentsOfDirectory(atPath: descriptors).compactMap {
      try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + $0)
    }
    #expect(!held.contains { $0.hasPrefix(dir.path) }, "the child holds \(held)")
    #expect(try LoadedHDF5(path: path).header.weights.tensors.isEmpty == false)
    // libhdf5's own locks are off: a lock another program holds on the file does not refuse it.
    let locked = open(path, O_RDONLY | O_CLOEXEC)
    defer { close(locked) }
    #expect(flock(locked, LOCK_EX) == 0)
    #expect(try LoadedHDF5(path: path).header.weights.tensors.isEmpty == false)
  }

  @Test func formatFollowsTheNameUnlessGiven() throws {
    let dir = TemporaryDirectory()
    let named = try convert(Fixtures.path("mixer_tiny"), into: dir, name: "weights") { $0.format = .hdf5 }
    #expect(try Exports.format(of: named) == .hdf5)
    #expect(try Exports.open(named) is LoadedHDF5)
    // A folder named like another format's file would be taken for one: refused, not written.
    #expect { try convert(Fixtures.path("mixer_tiny"), into: dir, name: "folder.h5") { $0.format = .bundle } } throws: {
      "\($0)".hasSuffix(
        "folder.h5: its suffix names an HDF5 file, not a bundle folder; choose a name that does not "
          + "claim another format")
    }
    #expect(dir.contents() == ["weights"])
  }
}
