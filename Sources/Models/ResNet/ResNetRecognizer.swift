import Checkpoint

/// Derives a ``ResNetConfig`` from a hybrid checkpoint's `conv_root` and `block{s}/unit{u}`.
enum ResNetRecognizer {
  static func derive(_ tree: ParamTree) throws -> ResNetConfig {
    let root = try ModelRecognizer.shape(tree, "conv_root/kernel", rank: 4, expected: "(7, 7, 3, width)")
    var stages: [Int] = []
    while true {
      let stage = stages.count + 1
      guard tree.containsSubtree("block\(stage)") else { break }
      // Count the highest unit present, so a missing unit in the middle is reported as missing.
      let units =
        tree.childNames(of: "block\(stage)").compactMap { name -> Int? in
          name.hasPrefix("unit") ? Int(name.dropFirst(4)) : nil
        }.max() ?? 0
      stages.append(units)
    }
    return ResNetConfig(stageUnits: stages, rootWidth: root[3])
  }

  /// GroupNorm uses 32 groups, so every normalised width must be a multiple of 32.
  static func problems(_ config: ResNetConfig) -> [String] {
    let widths = [config.rootWidth] + config.stageUnits.indices.map { config.width(ofStage: $0 + 1) }
    guard let bad = widths.first(where: { $0 % 32 != 0 }) else { return [] }
    return ["GroupNorm uses 32 groups, but the ResNet stem has \(bad) channels, which 32 does not divide"]
  }
}
