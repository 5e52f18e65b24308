// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "mixer-convert",
  products: [

  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(name: "CLibzip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "CSupport"),
    .target(name: "FileIO"),
    .target(name: "Checkpoint", dependencies: ["CLibzip", "CZlib", "FileIO"]),
    // The compute kernels: one shared source (Sources/KernelBackend, linked into each build as
    // `Shared`) compiled for three CPU levels, and a front module that picks one at run time.
    .target(name: "KernelsAVX512", swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"])]),
    .target(name: "KernelsAVX2", swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
    .target(name: "KernelsPortable"),
    .target(name: "Kernels", dependencies: ["CSupport", "KernelsAVX512", "KernelsAVX2", "KernelsPortable"]),
    .target(name: "Models", dependencies: ["Checkpoint"]),
    .target(name: "Conversion", dependencies: ["Checkpoint", "Models"]),
    .executableTarget(name: "mixer-convert", dependencies: [
      "Conversion", "Checkpoint", "Models", "Kernels", "CLibzip", "CZlib",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]),
    .target(name: "TestSupport", dependencies: ["CZlib"], path: "Tests/TestSupport"),
    .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .executableTarget(name: "mixer-bench", dependencies: [
      "Checkpoint", "Models", "Conversion", "Kernels", "COpenBLAS",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ], path: "Benchmarks/mixer-bench"),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
    .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Checkpoint", "TestSupport"]),
  ]
)
