import Models
import Testing

@Suite struct CatalogTests {
  /// Parameter counts with a 1000-class head at 224 px: checkpoint-layout.md section 7 (from
  /// upstream `models_test.py`), and for the paper-only Mixers the section 3.1 formula.
  static let golden: [(String, Int)] = [
    ("ViT-Ti_16", 5_717_416), ("ViT-S_16", 22_050_664), ("ViT-B_16", 86_567_656), ("ViT-L_16", 304_326_632),
    ("ViT-H_14", 632_045_800), ("ViT-S_16-gap-norep", 22_049_896), ("ViT-B_16-gap-norep", 86_566_120),
    ("ViT-B_8", 86_576_872), ("ViT-S_32", 22_878_952), ("ViT-B_32", 88_224_232), ("ViT-L_32", 306_535_400),
    ("ViT-S_32-gap-norep", 22_878_184), ("ViT-B_32-gap-norep", 88_222_696), ("R+ViT-Ti_16", 6_337_704),
    ("R50+ViT-B_16", 98_659_112), ("R26+ViT-B_32", 101_383_976), ("R26+ViT-S_32", 36_431_912),
    ("R50+ViT-L_32", 328_994_856), ("Mixer-B_16", 59_880_472), ("Mixer-B_32", 60_293_428),
    ("Mixer-L_16", 208_196_168),
    ("Mixer-S_32", mixerFormula(patch: 32, d: 512, blocks: 8, ds: 256, dc: 2048)),
    ("Mixer-S_16", mixerFormula(patch: 16, d: 512, blocks: 8, ds: 256, dc: 2048)),
    ("Mixer-L_32", mixerFormula(patch: 32, d: 1024, blocks: 24, ds: 512, dc: 4096)),
    ("Mixer-H_14", mixerFormula(patch: 14, d: 1280, blocks: 32, ds: 640, dc: 5120)),
  ]

  /// checkpoint-layout.md 3.1, with a 1000-class head at 224 px.
  static func mixerFormula(patch p: Int, d: Int, blocks l: Int, ds: Int, dc: Int) -> Int {
    let s = (224 / p) * (224 / p)
    return p * p * 3 * d + d + l * (4 * d + 2 * s * ds + ds + s + 2 * d * dc + dc + d) + 2 * d + d * 1000 + 1000
  }

  @Test func everyReleasedConfigIsListed() {
    #expect(Set(ModelCatalog.entries.map(\.name)) == Set(Self.golden.map(\.0)))
  }

  @Test(arguments: golden)
  func parameterCountEqualsGolden(name: String, count: Int) throws {
    let entry = try #require(ModelCatalog.entry(named: name))
    #expect(entry.architecture.layout.parameterCount == count)
    // Paper values, to the million, guard the formula itself.
    let paper = ["Mixer-S_32": 19, "Mixer-S_16": 18, "Mixer-L_32": 206, "Mixer-H_14": 431]
    if let millions = paper[name] { #expect(abs(count / 1_000_000 - millions) <= 1) }
  }

  @Test func backboneCountsMatchWithoutHead() throws {
    let backbone = [
      "ViT-B_16": 85_798_656, "R50+ViT-B_16": 97_890_112, "Mixer-B_16": 59_111_472, "ViT-H_14": 630_764_800,
      "R+ViT-Ti_16": 6_144_704,
    ]
    for (name, count) in backbone {
      let entry = try #require(ModelCatalog.entry(named: name))
      #expect(entry.architecture.withClasses(nil).layout.parameterCount == count, "\(name)")
    }
  }

  @Test func namesAreCaseInsensitiveAndAcceptSlashes() {
    #expect(ModelCatalog.entry(named: "mixer-b_16")?.name == "Mixer-B_16")
    #expect(ModelCatalog.entry(named: "r50+vit-b/16")?.name == "R50+ViT-B_16")
    #expect(ModelCatalog.entry(named: "ViT-B_17") == nil)
    #expect(ModelCatalog.displayName("R50+ViT-B_16") == "R50+ViT-B/16")
  }

  @Test func layoutsHaveNoDuplicatePaths() {
    for entry in ModelCatalog.entries {
      let paths = entry.architecture.layout.map(\.path)
      #expect(Set(paths).count == paths.count, "\(entry.name)")
    }
  }
}
