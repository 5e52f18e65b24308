// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "mixer-convert",
  products: [
    .executable(name: "mixer-convert", targets: ["mixer-convert"]),
    // The library the command line is thin over (examples/RunBundle uses it).
    .library(name: "MixerConvertKit",
             targets: ["Checkpoint", "LayerAttributes", "Kernels", "Graph", "Runtime", "Models", "Formats", "Parity",
                       "Conversion", "FileIO", "Imaging", "Classification"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(name: "CLibzip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // libhdf5 (libhdf5-dev's headers), loaded at run time when first used rather than linked.
    .target(name: "CHDF5"),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .target(name: "CImageDecode", dependencies: ["CJPEG", "CPNG"]),
    .target(name: "Imaging", dependencies: ["CImageDecode", "FileIO"]),
    .target(name: "CSupport"),
    .target(name: "FileIO", dependencies: ["CSupport"]),
    .target(name: "Checkpoint", dependencies: ["CLibzip", "CZlib", "FileIO"]),
    // The compute kernels: one shared source (Sources/KernelBackend, linked into each build as
    // `Shared`) compiled for three CPU levels, and a front module that picks one at run time.
    // Attributes both the graph document and the kernels speak of (GELU form, window padding).
    .target(name: "LayerAttributes"),
    .target(name: "KernelsAVX512", dependencies: ["CSupport"], swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"])]),
    .target(name: "KernelsAVX2", dependencies: ["CSupport"], swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
    .target(name: "KernelsPortable", dependencies: ["CSupport"]),
    .target(name: "Kernels", dependencies: ["CSupport", "LayerAttributes", "KernelsAVX512", "KernelsAVX2", "KernelsPortable"]),
    // The canonical graph document: nodes, attributes, header, validation (no kernels).
    .target(name: "Graph", dependencies: ["LayerAttributes"]),
    // Execution plans and their executor on the kernels; a canonical graph compiles to one.
    .target(name: "Runtime", dependencies: ["Graph", "Kernels"]),
    .target(name: "Models", dependencies: ["Checkpoint", "Graph", "Kernels", "FileIO"]),
    // The export formats, one folder each (Sources/Formats/<format>), and their registry.
    .target(name: "Formats", dependencies: ["CHDF5", "Checkpoint", "Graph", "Runtime", "Kernels", "FileIO"]),
    .target(name: "Parity", dependencies: ["Checkpoint", "Graph", "Kernels", "FileIO"]),
    .target(name: "Conversion", dependencies: ["Checkpoint", "Models", "Graph", "Runtime", "Kernels", "Formats", "Parity",
                                               "FileIO", "Classification"]),
    .target(name: "Classification", dependencies: ["Imaging", "Formats", "Runtime", "Graph", "Kernels", "FileIO"],
            resources: [.copy("Labels")]),
    .executableTarget(name: "mixer-convert", dependencies: [
      "Conversion", "Classification", "Checkpoint", "Models", "Kernels", "Graph", "Formats", "Runtime", "Parity", "CLibzip",
      "CZlib", "CImageDecode", "CSupport", "FileIO",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]),
    // The parsers of untrusted bytes as fuzz targets, and their driver (`make fuzz`; replays
    // inputs when built without the fuzzer).
    .target(name: "FuzzTargets", dependencies: ["Checkpoint", "Models", "Formats", "FileIO", "Imaging", "Runtime", "Kernels"]),
    .executableTarget(name: "mixer-fuzz", dependencies: ["FuzzTargets"], path: "Fuzz/mixer-fuzz"),
    .target(name: "TestSupport", dependencies: ["CZlib", "Checkpoint"], path: "Tests/TestSupport"),
    .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
    .executableTarget(name: "run-bundle-example", dependencies: ["Formats", "Checkpoint", "Graph", "Runtime", "Kernels"],
                      path: "examples/RunBundle"),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .target(name: "CBenchSupport", path: "Benchmarks/CBenchSupport"),
    .executableTarget(name: "mixer-bench", dependencies: [
      "Checkpoint", "Models", "Conversion", "Kernels", "COpenBLAS", "Formats", "Graph", "Runtime", "FileIO", "CSupport",
      "CBenchSupport",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ], path: "Benchmarks/mixer-bench"),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
    .testTarget(name: "FormatsTests", dependencies: ["Formats", "Checkpoint", "FileIO", "CHDF5", "TestSupport"]),
    .testTarget(name: "ConversionTests", dependencies: [
      "Conversion", "Formats", "Checkpoint", "Models", "Parity", "Kernels", "Graph", "Runtime", "FileIO", "TestSupport",
    ]),
    .testTarget(name: "CLITests", dependencies: ["Checkpoint", "Formats", "TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Checkpoint", "Runtime", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Checkpoint", "TestSupport"]),
    .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
    .testTarget(name: "GraphTests", dependencies: ["Graph", "LayerAttributes"]),
    .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Graph", "Kernels"]),
    .testTarget(name: "ParityTests", dependencies: ["Parity", "Kernels", "Checkpoint"]),
    .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "TestSupport"]),
  ]
)
