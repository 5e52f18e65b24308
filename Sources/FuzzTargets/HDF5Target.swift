import Formats

extension FuzzTargets {
  /// An `.h5` export read the way `run`, `verify` and `inspect` read one: in the isolated child
  /// reader (`mixer-convert internal-read-hdf5`, with its resource limits), whose stream the
  /// parent checks again. Coverage is the parent's; the point is that nothing the child does
  /// (fail, crash, run out of its limits, send garbage) gets past the parent as more than one
  /// error line.
  static func hdf5Target(childExecutable: String) -> FuzzTarget {
    FuzzTarget(name: "hdf5", summary: "HDF5 export read through the isolated child reader") { bytes in
      let scratch = ScratchFile("input.h5")
      scratch.write(bytes)
      guard let export = try? Exports.open(scratch.path, OpenOptions(hdf5: .isolated(executable: childExecutable)))
      else {
        return
      }
      _ = export.weights()
    }
  }
}
