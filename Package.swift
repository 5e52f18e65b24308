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
    .target(name: "Models", dependencies: ["Checkpoint"]),
    .target(name: "Conversion", dependencies: ["Checkpoint", "Models"]),
    .executableTarget(name: "mixer-convert", dependencies: [
      "Conversion", "Checkpoint", "Models",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]),
    .target(name: "TestSupport", dependencies: ["CZlib"], path: "Tests/TestSupport"),
    .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
    .executableTarget(name: "mixer-bench", dependencies: [
      "Checkpoint", "Models", "Conversion",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ], path: "Benchmarks/mixer-bench"),
    .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Checkpoint", "TestSupport"]),
  ]
)
