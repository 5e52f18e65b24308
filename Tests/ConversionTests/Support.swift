import Checkpoint
import Conversion
import Formats
import Foundation
import Graph
import Kernels
import TestSupport

/// Converts a fixture (or any checkpoint) into `dir/name` and returns the bundle path.
@discardableResult
func convert(
  _ checkpoint: String, into dir: TemporaryDirectory, name: String = "bundle",
  configure: (inout ConversionRequest) -> Void = { _ in }
) throws -> String {
  var request = ConversionRequest(checkpoint: checkpoint, output: dir.file(name))
  configure(&request)
  _ = try Converter.convert(request)
  return request.output
}

func golden(_ fixture: String, _ file: String) throws -> Tensor {
  let (shape, values) = try NpyFile.readFloats(path: Fixtures.path(fixture, file))
  return Tensor(shape: shape, scalars: values)
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
  precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
  return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
}

/// Runs a bundle on a fixture's input.
func run(_ bundle: String, on fixture: String) throws -> [String: Tensor] {
  try Runner.run(export: bundle, inputFile: Fixtures.path(fixture, "input.npy"), threads: nil).outputs
}

/// All files of a folder, by name.
func contents(of folder: String) throws -> [String: Data] {
  var files: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
    files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
  }
  return files
}
