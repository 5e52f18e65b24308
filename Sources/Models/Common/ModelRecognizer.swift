import Checkpoint

/// A checkpoint whose family or hyper-parameters could not be worked out.
public struct UnrecognizedModel: Error, Sendable, Equatable, CustomStringConvertible {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// What a checkpoint was recognised as.
public struct Recognition: Sendable {
  /// The architecture derived from the tensor shapes.
  public let architecture: ModelArchitecture
  /// The released configuration it matches, if any.
  public let catalogEntry: CatalogEntry?
  /// How the tensors compare with that architecture.
  public let report: LayoutReport

  /// `Mixer-B/16`, `ViT-B/16 (384 px)`, or `custom Mixer` when no released config matches.
  public var displayName: String {
    guard let entry = catalogEntry else { return "custom \(architecture.familyTitle)" }
    if let size = architecture.imageSize, size != ModelCatalog.defaultImageSize {
      return "\(entry.displayName) (\(size) px)"
    }
    return entry.displayName
  }

  /// One line: `Mixer-B/16 · 59,880,472 params · 1000 classes · classification head`.
  public func summary(parameterCount: Int) -> String {
    var parts = [displayName, "\(groupedDigits(parameterCount)) params"]
    if let classes = architecture.classes {
      parts += ["\(classes) classes", "classification head"]
    } else {
      parts.append("no head (feature extractor)")
    }
    if case .vit(let config) = architecture, let size = config.representationSize {
      parts.append("representation layer (\(size))")
    }
    return parts.joined(separator: " · ")
  }
}

/// Recognises the family and configuration of a checkpoint from its names and shapes alone.
///
/// Each family derives its configuration from a few anchor tensors; the full expected layout
/// is then compared with the tree, so a missing or misshapen tensor is reported by name.
public enum ModelRecognizer {
  /// Recognises `tree`, or explains why it cannot.
  public static func recognize(_ tree: ParamTree) -> Result<Recognition, UnrecognizedModel> {
    do {
      let (architecture, problems): (ModelArchitecture, [String])
      if tree.contains("stem/kernel") || tree.containsSubtree("MixerBlock_0") {
        (architecture, problems) = try MixerRecognizer.derive(tree)
      } else if tree.contains("embedding/kernel") || tree.containsSubtree("Transformer") {
        (architecture, problems) = try ViTRecognizer.derive(tree)
      } else if tree.leaves.isEmpty {
        throw UnrecognizedModel("the checkpoint holds no tensors")
      } else {
        throw UnrecognizedModel("no 'stem/kernel' (MLP-Mixer) or 'embedding/kernel' (ViT) tensor")
      }
      let report = LayoutReport.compare(tree, with: architecture.layout, problems: problems)
      return .success(
        Recognition(
          architecture: architecture, catalogEntry: ModelCatalog.match(architecture),
          report: report))
    } catch let error as UnrecognizedModel {
      return .failure(error)
    } catch {
      return .failure(UnrecognizedModel("\(error)"))
    }
  }

  /// The shape at `path`, required to have `rank` positive dimensions.
  static func shape(_ tree: ParamTree, _ path: String, rank: Int, expected: String) throws -> [Int] {
    guard let shape = tree.shape(path) else { throw UnrecognizedModel("'\(path)' is missing") }
    guard shape.count == rank, shape.allSatisfy({ $0 > 0 }) else {
      throw UnrecognizedModel("'\(path)' has shape \(shapeText(shape)), expected \(expected)")
    }
    return shape
  }

  /// Number of consecutive children `name0`, `name1`, … (or starting at 1) under `parent`.
  static func count(_ tree: ParamTree, _ parent: String, _ name: String, from first: Int = 0) -> Int {
    var n = 0
    while tree.containsSubtree(parent + name + String(first + n)) { n += 1 }
    return n
  }

  /// The head size, from `head/bias` (unambiguous) or else `head/kernel`; nil without a head.
  static func classes(_ tree: ParamTree) -> Int? {
    if let shape = tree.shape("head/bias"), shape.count == 1 { return shape[0] }
    if let shape = tree.shape("head/kernel"), shape.count == 2 { return shape[1] }
    return nil
  }
}

extension ModelArchitecture {
  /// `Mixer`, `ViT` or `R+ViT hybrid`.
  public var familyTitle: String {
    switch family {
    case .mixer: "Mixer"
    case .vit: "ViT"
    case .hybrid: "R+ViT hybrid"
    }
  }
}

/// `59880472` → `59,880,472`.
public func groupedDigits(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}
