import ArgumentParser

/// `mixer-bench`: the project's benchmarks. Every figure is printed next to a reference
/// measured in the same run (a plain `cat`, OpenBLAS, the FMA peak), never alone.
@main
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mixer-bench",
    abstract: "Benchmarks of mixer-convert, each against a reference measured in the same run.",
    subcommands: [
      CheckpointBenchmark.self, MatmulBenchmark.self, KernelBenchmark.self, ConvertBenchmark.self,
      VerifyBenchmark.self, ForwardBenchmark.self,
    ])
}
