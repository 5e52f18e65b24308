import Conversion
import Foundation
import Models

/// The synthetic checkpoint of `entry` in `folder` (`<name>.npz`), written on first use and
/// reused by every benchmark after.
func syntheticCheckpoint(_ entry: CatalogEntry, in folder: String) throws -> String {
  let path = "\(folder)/\(entry.name).npz"
  if !FileManager.default.fileExists(atPath: path) {
    print("synthesising \(entry.name) into \(path) …")
    _ = try Synthesizer.write(SynthesisRequest(model: entry), to: path)
  }
  return path
}
