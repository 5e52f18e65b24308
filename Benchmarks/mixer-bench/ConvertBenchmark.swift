import ArgumentParser
import Checkpoint
import Conversion
import FileIO
import Foundation
import Models

/// Conversion wall time and peak memory against `cp` of the same file, in the same run.
struct ConvertBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert", abstract: "Conversion time and peak RSS vs cp, on synthetic Mixer-B/16, Mixer-L/16 and ViT-L/16.")

  @Option(help: "The mixer-convert executable.")
  var binary = ".build/release/mixer-convert"

  @Option(help: "Models to synthesise, comma-separated.")
  var models = "Mixer-B_16,Mixer-L_16,ViT-L_16"

  @Option(help: "Folder for the synthetic checkpoints and outputs.")
  var work = ".build/bench"

  @Option(help: "Timed repetitions (interleaved with cp).")
  var runs = 5

  func run() throws {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    print("convert: wall time and peak RSS, median of \(runs) runs interleaved with cp (new output each time, warm page cache)")
    for model in models.split(separator: ",").map(String.init) {
      let entry = ModelCatalog.entry(named: model)!
      let path = "\(work)/\(model).npz"
      if !FileManager.default.fileExists(atPath: path) { _ = try Synthesizer.write(SynthesisRequest(model: entry), to: path) }
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
      let largest = entry.architecture.layout.map { $0.elementCount * 4 }.max()!
      let out = "\(work)/\(model)-bundle"
      let copy = "\(work)/\(model)-copy.npz"
      var convert: [Double] = [], cp: [Double] = [], rss: [Int] = [], hash: [Double] = []
      for _ in 0..<runs {
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: copy)
        let c = try measureProcess([binary, path, out, "--quiet"])
        convert.append(c.seconds)
        rss.append(c.peakKilobytes)
        cp.append(try measureProcess(["cp", path, copy]).seconds)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try SHA256Stream.file(path)
        hash.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      }
      try? FileManager.default.removeItem(atPath: copy)
      let median = { (values: [Double]) in values.sorted()[values.count / 2] }
      let peak = rss.max()! * 1024
      print(String(format: "  %@ %7.1f MB   convert %.3f s   cp %.3f s   ratio %.1f×   (SHA-256 of the file alone %.3f s)",
                   padded(model, 11), Double(size) / 1e6, median(convert), median(cp), median(convert) / median(cp), median(hash)))
      print(String(format: "  %@ peak RSS %.1f MiB; largest tensor %.1f MiB + 64 MiB = %.1f MiB: %@", padded("", 11),
                   Double(peak) / 1_048_576, Double(largest) / 1_048_576, Double(largest + (64 << 20)) / 1_048_576,
                   peak < largest + (64 << 20) ? "below" : "ABOVE"))
    }
  }
}
