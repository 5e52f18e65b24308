import FileIO
import Formats

extension FuzzTargets {
  /// A safetensors file: the header length, the strict JSON header, dtypes, shapes and the
  /// tiling of the data buffer; then every tensor's bytes are read and checksummed.
  static let safetensorsTarget = FuzzTarget(
    name: "safetensors", summary: "safetensors header and layout (SafetensorsFile)"
  ) {
    bytes in
    let scratch = ScratchFile("input.safetensors")
    scratch.write(bytes)
    guard let file = try? SafetensorsFile(path: scratch.path) else { return }
    for name in file.entries.keys { _ = file.bytes(of: name).map { CRC32C.checksum($0) } }
  }
}
