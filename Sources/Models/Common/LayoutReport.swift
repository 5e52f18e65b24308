import Checkpoint

/// How a checkpoint's tensors compare with the architecture recognised from it.
public struct LayoutReport: Sendable, Equatable, Encodable {
  /// A stored shape that differs from the expected one.
  public struct ShapeMismatch: Sendable, Equatable, Encodable {
    public let path: String
    public let expected: [Int]
    public let actual: [Int]
  }

  /// A tensor whose element type cannot hold weights.
  public struct DTypeProblem: Sendable, Equatable, Encodable {
    public let path: String
    public let dtype: DType
  }

  /// Expected tensors the checkpoint lacks.
  public var missing: [String] = []
  /// Tensors the architecture does not use.
  public var unused: [String] = []
  /// Tensors with the wrong shape.
  public var shapeMismatches: [ShapeMismatch] = []
  /// Tensors that are not floating point.
  public var dtypeProblems: [DTypeProblem] = []
  /// Hyper-parameters the weights imply but the model cannot have (heads that do not divide
  /// the width, a position embedding that is not a square grid, …).
  public var architectureProblems: [String] = []

  /// Whether every expected tensor is present, well shaped and floating point, and the
  /// architecture is consistent; unused tensors are allowed.
  public var isUsable: Bool {
    missing.isEmpty && shapeMismatches.isEmpty && dtypeProblems.isEmpty && architectureProblems.isEmpty
  }

  /// Whether the checkpoint holds exactly the expected tensors.
  public var isExact: Bool { isUsable && unused.isEmpty }

  /// Compares a tree with the parameters an architecture expects.
  public static func compare(_ tree: ParamTree, with expected: [ParamSpec], problems: [String] = []) -> LayoutReport {
    var report = LayoutReport()
    report.architectureProblems = problems
    var expectedPaths: Set<String> = []
    for spec in expected {
      expectedPaths.insert(spec.path)
      guard let array = tree[spec.path] else {
        report.missing.append(spec.path)
        continue
      }
      if !spec.accepts(array.shape) {
        report.shapeMismatches.append(ShapeMismatch(path: spec.path, expected: spec.shape, actual: array.shape))
      }
      if !array.dtype.isFloatingPoint {
        report.dtypeProblems.append(DTypeProblem(path: spec.path, dtype: array.dtype))
      }
    }
    report.unused = tree.leaves.map(\.path).filter { !expectedPaths.contains($0) }
    return report
  }

  /// The problems as sentences, most important first (empty when the layout is exact).
  public var lines: [String] {
    var lines = architectureProblems
    lines += missing.map { "missing: \($0)" }
    lines += shapeMismatches.map {
      "shape mismatch: \($0.path) is \(shapeText($0.actual)), expected \(shapeText($0.expected))"
    }
    lines += dtypeProblems.map { "not floating point: \($0.path) is \($0.dtype.rawValue)" }
    lines += unused.map { "unused: \($0)" }
    return lines
  }

  private enum CodingKeys: String, CodingKey {
    case missing, unused, shapeMismatches = "shape_mismatches", dtypeProblems = "dtype_problems"
    case architectureProblems = "architecture_problems"
  }
}

/// `(16, 16, 3, 768)` — shapes as Python prints them.
public func shapeText(_ shape: [Int]) -> String {
  shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
