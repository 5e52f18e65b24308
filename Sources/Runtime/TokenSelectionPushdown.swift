import Graph

/// Moves each SelectToken of a graph towards its input through the nodes that treat every
/// token by itself, so that those nodes compute the one token the rest of the graph reads
/// instead of all of them. A token-classifier ViT reads token 0 after the final LayerNorm: with
/// the selection moved up, the last block's MLP, its residual Adds and the final LayerNorm run
/// on one row per image instead of 197 (about a twelfth of the forward pass's products).
///
/// The values are bit for bit the same: LayerNorm, Dense, GELU, Tanh, ReLU and Add compute a
/// token's row from that token's rows alone, with the same arithmetic whatever the number of
/// rows. A selection moves through a node only when every reader of the node's value is that
/// selection and the value is not a graph output. It stops at an attention, which mixes
/// tokens; the compiler then folds it into the attention step (`queryToken`: the query, the
/// attention and the output projection of the selected token only, over every token's keys and
/// values), with the residual Add folded as before.
enum TokenSelectionPushdown {
  /// `nodes` (in an order where every value is computed before it is read) rewritten so that
  /// each SelectToken reads as early a value as it can, in such an order again. `outputs`
  /// names the values the graph must still produce whole.
  static func apply(to nodes: [Node], input: String, outputs: Set<String>) -> [Node] {
    var graph = Rewrite(nodes: nodes, input: input, outputs: outputs)
    while graph.moveOneSelection() {}
    return graph.byRank()
  }

  /// The graph being rewritten: its nodes by name, and a rank per node. Ranks order the nodes
  /// so that every value is computed before it is read: a moved node keeps the rank of the
  /// node it replaces, whose readers all rank after it, and a new selection ranks just after
  /// the value it reads, which ranks before every reader.
  private struct Rewrite {
    var nodes: [String: Node]
    var rank: [String: Double]
    let input: String
    let outputs: Set<String>
    /// The selections this rewrite made: (value read, token index) → name.
    var made: [Selection: String] = [:]

    struct Selection: Hashable {
      let value: String
      let index: Int
    }

    init(nodes list: [Node], input: String, outputs: Set<String>) {
      nodes = Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
      rank = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.name, Double($0)) })
      self.input = input
      self.outputs = outputs
    }

    /// The nodes reading `value`.
    func readers(of value: String) -> [Node] { nodes.values.filter { $0.inputs.contains(value) } }

    /// Moves one selection up through the node it reads, if any can move; whether one did.
    mutating func moveOneSelection() -> Bool {
      for selection in byRank() {
        guard case .selectToken(let index) = selection.operation,
          let producer = nodes[selection.inputs[0]], !outputs.contains(producer.name),
          treatsTokensAlone(producer), readers(of: producer.name).map(\.name) == [selection.name]
        else { continue }
        let producerRank = rank[producer.name]!
        let selectedInputs = producer.inputs.map { selected($0, index: index) }
        nodes[producer.name] = nil
        rank[producer.name] = nil
        var moved = producer
        moved.name = selection.name
        moved.inputs = selectedInputs
        moved.outputShape = withoutTokenAxis(producer.outputShape)
        nodes[selection.name] = moved
        rank[selection.name] = producerRank
        return true
      }
      return false
    }

    /// Whether `node` computes each token's row from that token's rows alone, on values of
    /// shape (N, T, C).
    func treatsTokensAlone(_ node: Node) -> Bool {
      let shapes = node.inputs.map { nodes[$0]?.outputShape }
      guard node.outputShape.count == 3, shapes.allSatisfy({ $0?.count == 3 && $0?[1] == node.outputShape[1] })
      else { return false }
      switch node.operation {
      case .layerNorm, .dense, .gelu, .tanh, .relu: return true
      case .add: return shapes.allSatisfy { $0 == node.outputShape }
      default: return false
      }
    }

    /// The name of a SelectToken of `value` at `index`, made by this rewrite if it has not made
    /// one yet, ranked right after `value` (so it is computed before any step that could fold
    /// it in as a target).
    mutating func selected(_ value: String, index: Int) -> String {
      let key = Selection(value: value, index: index)
      if let name = made[key], nodes[name]?.inputs == [value] { return name }
      var name = "\(value).token\(index)"
      while nodes[name] != nil || name == input { name += "'" }
      nodes[name] = Node(
        name: name, operation: .selectToken(index: index), inputs: [value],
        outputShape: withoutTokenAxis(nodes[value]!.outputShape))
      rank[name] = rank[value]! + 0.001
      made[key] = name
      return name
    }

    /// The nodes by rank, then name: an order where every value is computed before it is read.
    func byRank() -> [Node] { nodes.values.sorted { (rank[$0.name]!, $0.name) < (rank[$1.name]!, $1.name) } }

    func withoutTokenAxis(_ shape: [Int]) -> [Int] { [shape[0], shape[2]] }
  }
}
