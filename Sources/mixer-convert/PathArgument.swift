import ArgumentParser
import Formats
import Foundation

/// Paths as the user typed them, tidied for use and display: repeated slashes collapsed and a
/// trailing slash dropped (`out//` → `out`, `/` stays `/`), so no message prints `dir//file`.
enum PathArgument {
  static func normalized(_ path: String) -> String {
    var result = ""
    for character in path where !(character == "/" && result.hasSuffix("/")) { result.append(character) }
    while result.count > 1, result.hasSuffix("/") { result.removeLast() }
    return result
  }

  /// Whether the file name of `path` has a suffix other than `suffix` (lowercase, with the dot).
  static func hasOtherSuffix(_ path: String, than suffix: String) -> Bool {
    let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
    return name.dropFirst().contains(".") && !name.hasSuffix(suffix)
  }

  /// Whether the user wrote the path as a folder (`out/`).
  static func namesFolder(_ path: String) -> Bool { path.count > 1 && path.hasSuffix("/") }
}

/// The refusal of a `.npy` output under another suffix (`run … --output logits.h5`, or
/// `.safetensors`), which every reader would take for what its suffix says.
enum ArrayOutputName {
  static func check(_ path: String, command: String) throws {
    if path == "-" {
      throw ValidationError(
        "--output -: \(command) writes a .npy array to a file, not to standard output; name it .npy")
    }
    guard PathArgument.hasOtherSuffix(path, than: ".npy") else { return }
    let claimed = ExportFormat.implied(by: path).map { "names \($0.noun)" } ?? "is not .npy"
    throw ValidationError("\(path): its suffix \(claimed), but \(command) writes a .npy array; name it .npy")
  }
}

/// The hint for a checkpoint given where an export is expected (`run CKPT.npz …`).
enum CheckpointInsteadOfExport {
  static func refuse(_ path: String, command: String) throws {
    guard path.lowercased().hasSuffix(".npz") else { return }
    throw ValidationError(
      "\(path) is a checkpoint; \(command) takes an export: convert it first "
        + "(mixer-convert \(path) OUT/), then \(command) OUT/")
  }
}
