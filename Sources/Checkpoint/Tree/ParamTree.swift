/// The parameters of a checkpoint as a tree over their `/`-joined names.
///
/// Paths are the array keys with a recognised key prefix (`params/`, `params/img/`,
/// `opt/target/`) removed; the prefix is kept in ``prefix`` and keys outside it in
/// ``keysOutsidePrefix``. Leaves are in natural order (`encoderblock_2` before
/// `encoderblock_10`), which is also the iteration order of ``leaves`` and ``root``.
public struct ParamTree: Sendable {
  /// One tensor of the tree.
  public struct Leaf: Sendable, Equatable {
    /// The path without the prefix, for example `MixerBlock_0/LayerNorm_0/scale`.
    public let path: String
    /// Where the tensor is and what its header says.
    public let array: NpyArrayInfo
  }

  /// Key prefixes seen on these checkpoints in the wild, most specific first.
  public static let knownPrefixes = ["params/img/", "params/", "opt/target/"]

  /// The prefix removed from every path (empty when there was none).
  public let prefix: String
  /// Every leaf in natural order.
  public let leaves: [Leaf]
  /// Keys that were not under ``prefix`` (optimizer state, for instance) and are ignored.
  public let keysOutsidePrefix: [String]
  private let indexByPath: [String: Int]

  /// Builds the tree of an opened checkpoint's arrays.
  public init(arrays: [NpyArrayInfo]) {
    let prefix =
      Self.knownPrefixes
      .map { candidate in (candidate, arrays.filter { $0.key.hasPrefix(candidate) }.count) }
      .filter { $0.1 > 0 }
      .max { $0.1 < $1.1 }?.0 ?? ""
    var leaves: [Leaf] = []
    var outside: [String] = []
    for array in arrays {
      if array.key.hasPrefix(prefix) {
        leaves.append(Leaf(path: String(array.key.dropFirst(prefix.count)), array: array))
      } else {
        outside.append(array.key)
      }
    }
    leaves.sort { NaturalOrder.less($0.path, $1.path) }
    self.prefix = prefix
    self.leaves = leaves
    self.keysOutsidePrefix = outside.sorted(by: NaturalOrder.less)
    var index: [String: Int] = [:]
    for (i, leaf) in leaves.enumerated() { index[leaf.path] = i }
    indexByPath = index
  }

  /// The tensor at `path`, if present.
  public subscript(path: String) -> NpyArrayInfo? { indexByPath[path].map { leaves[$0].array } }

  /// The shape of the tensor at `path`, if present.
  public func shape(_ path: String) -> [Int]? { self[path]?.shape }

  /// Whether a tensor exists at `path`.
  public func contains(_ path: String) -> Bool { indexByPath[path] != nil }

  /// Whether any tensor lives under the folder `path` (without a trailing slash).
  public func containsSubtree(_ path: String) -> Bool {
    leaves.contains { $0.path.hasPrefix(path + "/") }
  }

  /// Names of the direct children of the folder `path` ("" for the root), in natural order.
  public func childNames(of path: String) -> [String] {
    let start = path.isEmpty ? "" : path + "/"
    var seen: Set<String> = []
    var names: [String] = []
    for leaf in leaves where leaf.path.hasPrefix(start) {
      let rest = leaf.path.dropFirst(start.count)
      let name = String(rest.prefix { $0 != "/" })
      if seen.insert(name).inserted { names.append(name) }
    }
    return names.sorted(by: NaturalOrder.less)
  }

  /// Total number of parameters (elements).
  public var parameterCount: Int { leaves.reduce(0) { $0 + $1.array.elementCount } }

  /// Total number of data bytes.
  public var byteCount: Int { leaves.reduce(0) { $0 + $1.array.byteCount } }

  /// The tree as nested nodes with subtotals.
  public var root: ParamNode {
    var root = ParamNode(name: "", path: "")
    for leaf in leaves {
      root.insert(components: leaf.path.split(separator: "/").map(String.init)[...], leaf: leaf)
    }
    return root
  }
}

/// A folder or a tensor of a ``ParamTree``, with subtotals over its subtree.
public struct ParamNode: Sendable {
  /// The last path component (empty for the root).
  public let name: String
  /// The full path without prefix.
  public let path: String
  /// The tensor, for leaves.
  public private(set) var array: NpyArrayInfo?
  /// Child nodes in natural order (leaves are inserted already sorted).
  public private(set) var children: [ParamNode] = []
  /// Parameters in this subtree.
  public private(set) var parameterCount = 0
  /// Data bytes in this subtree.
  public private(set) var byteCount = 0
  /// Tensors in this subtree.
  public private(set) var tensorCount = 0

  init(name: String, path: String) {
    self.name = name
    self.path = path
  }

  fileprivate mutating func insert(components: ArraySlice<String>, leaf: ParamTree.Leaf) {
    parameterCount += leaf.array.elementCount
    byteCount += leaf.array.byteCount
    tensorCount += 1
    guard let first = components.first else {
      array = leaf.array
      return
    }
    if let i = children.firstIndex(where: { $0.name == first }) {
      children[i].insert(components: components.dropFirst(), leaf: leaf)
    } else {
      var child = ParamNode(name: first, path: path.isEmpty ? first : path + "/" + first)
      child.insert(components: components.dropFirst(), leaf: leaf)
      children.append(child)
    }
  }
}
