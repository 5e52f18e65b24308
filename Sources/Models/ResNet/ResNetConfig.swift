/// The ResNet v2 stem of a hybrid ViT: a root convolution and bottleneck stages.
public struct ResNetConfig: Sendable, Hashable, Codable {
  /// Units per stage, for example `[3, 4, 9]` for R50+ViT-B/16; empty for a root-only stem.
  public var stageUnits: [Int]
  /// Width of the root convolution, `64 × width_factor`.
  public var rootWidth: Int

  public init(stageUnits: [Int], rootWidth: Int) {
    self.stageUnits = stageUnits
    self.rootWidth = rootWidth
  }

  /// Bottleneck width of stage `stage` (1-based): `rootWidth · 2^(stage-1)`.
  public func width(ofStage stage: Int) -> Int { rootWidth << (stage - 1) }

  /// Channels the stem outputs (the input channels of the patch embedding).
  public var outputChannels: Int { stageUnits.isEmpty ? rootWidth : 4 * width(ofStage: stageUnits.count) }

  /// Total downsampling: 4 for the root (conv and max-pool), times 2 per stage after the first.
  public var totalStride: Int { 4 << max(stageUnits.count - 1, 0) }

  /// Input channels of unit `unit` (1-based) of stage `stage`.
  public func inputChannels(stage: Int, unit: Int) -> Int {
    if unit > 1 { return 4 * width(ofStage: stage) }
    return stage == 1 ? rootWidth : 4 * width(ofStage: stage - 1)
  }

  /// Stride of a unit: 2 for the first unit of every stage after the first.
  public func stride(stage: Int, unit: Int) -> Int { stage > 1 && unit == 1 ? 2 : 1 }

  /// Whether a unit has the projection shortcut (`conv_proj` and `gn_proj`).
  public func hasProjection(stage: Int, unit: Int) -> Bool {
    inputChannels(stage: stage, unit: unit) != 4 * width(ofStage: stage) || stride(stage: stage, unit: unit) != 1
  }

  /// Every parameter, in upstream module order (checkpoint-layout.md section 5.1).
  public var layout: [ParamSpec] {
    var specs: [ParamSpec] = []
    specs.append(ParamSpec("conv_root/kernel", [7, 7, 3, rootWidth], .kernel(fanIn: 7 * 7 * 3)))
    specs.groupNorm("gn_root", rootWidth)
    for (s, units) in stageUnits.enumerated() {
      let stage = s + 1
      let width = width(ofStage: stage)
      for unit in Swift.stride(from: 1, through: units, by: 1) {
        let prefix = "block\(stage)/unit\(unit)"
        let cin = inputChannels(stage: stage, unit: unit)
        specs.conv(prefix + "/conv1", 1, cin, width)
        specs.groupNorm(prefix + "/gn1", width)
        specs.conv(prefix + "/conv2", 3, width, width)
        specs.groupNorm(prefix + "/gn2", width)
        specs.conv(prefix + "/conv3", 1, width, 4 * width)
        specs.groupNorm(prefix + "/gn3", 4 * width)
        if hasProjection(stage: stage, unit: unit) {
          specs.conv(prefix + "/conv_proj", 1, cin, 4 * width)
          specs.groupNorm(prefix + "/gn_proj", 4 * width)
        }
      }
    }
    return specs
  }
}

extension Array where Element == ParamSpec {
  /// A bias-free square convolution kernel (HWIO).
  mutating func conv(_ path: String, _ size: Int, _ inputs: Int, _ outputs: Int) {
    append(ParamSpec(path + "/kernel", [size, size, inputs, outputs], .kernel(fanIn: size * size * inputs)))
  }

  /// GroupNorm parameters, which older Flax stored as `(1, 1, 1, C)`.
  mutating func groupNorm(_ path: String, _ width: Int) {
    append(ParamSpec(path + "/scale", [width], .scale, alternateShape: [1, 1, 1, width]))
    append(ParamSpec(path + "/bias", [width], .bias, alternateShape: [1, 1, 1, width]))
  }
}
