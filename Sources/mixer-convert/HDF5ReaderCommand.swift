import ArgumentParser
import Formats
import Foundation

/// `mixer-convert internal-read-hdf5` (hidden): reads an HDF5 export with libhdf5 and streams
/// it to standard output for the parent process (``HDF5Transfer``). `run`, `verify` and
/// `inspect` read HDF5 files through it, so a damaged file that crashes libhdf5 fails this
/// child only and the parent reports one clean line.
struct HDF5ReaderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "internal-read-hdf5", abstract: "Internal: read an HDF5 export for the parent process.",
    shouldDisplay: false)

  /// How the other commands read HDF5 exports: through this command, in a child process.
  static var isolated: HDF5Reading { .isolated(executable: executable) }

  /// This program's executable, for the child processes it starts.
  static var executable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  @Argument(help: "The .h5 export.")
  var path: String

  @Flag(help: "Skip the CRC-32C checks.")
  var noChecksum = false

  func run() throws {
    let export = try LoadedHDF5(path: path, checksums: !noChecksum)
    try HDF5Transfer.send(export, to: STDOUT_FILENO)
  }
}
