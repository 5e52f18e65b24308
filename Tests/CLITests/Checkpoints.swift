import Foundation
import TestSupport

/// Checkpoints larger than the fixtures, synthesised once per test run and shared.
enum Checkpoints {
  private static let folder = TemporaryDirectory()

  /// A synthetic ViT-Ti/16 (22 MB, 200 tensors).
  static let vitTiny: String = {
    let path = folder.file("ViT-Ti_16.npz")
    let result = try? CommandRunner.run(["synth", "ViT-Ti_16", path, "--quiet"])
    precondition(result?.status == 0, "synth ViT-Ti_16 failed: \(result?.standardError ?? "no mixer-convert")")
    return path
  }()

  /// A ViT-Ti/16 HDF5 export (the one issue 13 flipped byte 963 of).
  static let vitTinyHDF5: String = {
    let path = folder.file("vit-ti.h5")
    let result = try? CommandRunner.run([vitTiny, path, "--quiet"])
    precondition(result?.status == 0, "convert failed: \(result?.standardError ?? "no mixer-convert")")
    return path
  }()
}

extension CommandResult {
  /// Exited with status 2 and said one line (containing `fragment`) on standard error.
  func refused(_ fragment: String) -> Bool {
    status == 2 && !signaled && standardError.hasSuffix("\n")
      && standardError.dropLast().split(separator: "\n").count == 1
      && standardError.hasPrefix("mixer-convert: error: ") && standardError.contains(fragment)
  }
}
