import Checkpoint
import Foundation

/// One tensor as `inspect` lists it.
struct ListedTensor {
  /// Its full name (`MixerBlock_0/LayerNorm_0/scale`, `blocks.0.norm1.scale`).
  let path: String
  /// The name split into tree levels.
  let components: [String]
  let parameters: Int
  let bytes: Int
  let dtype: DType
  let shape: [Int]
}

/// The folder-and-tensor lines of `inspect`, from tensors in display order: folders precede
/// their contents and carry subtotals over the tensors that pass the filter; `--depth` hides
/// deeper lines without changing the subtotals. With statistics, every tensor that passes the
/// filter is read (shown or not), and a folder's statistics are those of all its values.
enum InspectionTree {
  /// The lines; `statistics` reads one tensor's (by its path) when asked for.
  static func nodes(
    _ tensors: [ListedTensor], separator: String, options: InspectOptions,
    statistics: @escaping (String) throws -> TensorStatistics?
  ) throws -> [InspectionReport.Node] {
    // The filter matches a tensor's name, or its path as the tree shows it (an export's
    // `blocks.0.norm1.scale` as `blocks/0/norm1/scale`).
    let visible = tensors.filter { tensor in
      guard let filter = options.filter else { return true }
      return fnmatch(filter, tensor.path, 0) == 0 || fnmatch(filter, tensor.components.joined(separator: "/"), 0) == 0
    }
    var nodes: [InspectionReport.Node] = []
    let reader = options.statistics ? statistics : nil
    try collect(
      visible[...], depth: 0, path: "", separator: separator, options: options, statistics: reader, into: &nodes)
    return nodes
  }

  /// The totals of a group of tensors.
  private struct Totals {
    var parameters = 0
    var bytes = 0
    var tensors = 0
    var statistics: TensorStatistics?

    mutating func add(_ other: Totals) {
      parameters += other.parameters
      bytes += other.bytes
      tensors += other.tensors
      if let more = other.statistics { statistics = (statistics ?? TensorStatistics()).merging(more) }
    }
  }

  /// Adds the lines of `tensors` (all under `path`) at `depth`; returns their totals.
  @discardableResult
  private static func collect(
    _ tensors: ArraySlice<ListedTensor>, depth: Int, path: String, separator: String,
    options: InspectOptions, statistics: ((String) throws -> TensorStatistics?)?,
    into nodes: inout [InspectionReport.Node]
  ) throws -> Totals {
    // Children in order of first appearance, which is display order.
    var order: [String] = []
    var groups: [String: [ListedTensor]] = [:]
    for tensor in tensors {
      let name = tensor.components[depth]
      if groups[name] == nil { order.append(name) }
      groups[name, default: []].append(tensor)
    }
    var totals = Totals()
    for name in order {
      let members = groups[name]!
      let childPath = path.isEmpty ? name : path + separator + name
      let level = depth + 1
      let shown = level <= (options.depth ?? .max)
      if members.count == 1, members[0].components.count == level {
        let tensor = members[0]
        let values = try statistics?(tensor.path)
        if shown {
          nodes.append(
            .init(
              path: tensor.path, name: name, depth: level, kind: .tensor, parameters: tensor.parameters,
              bytes: tensor.bytes, tensors: 1, dtype: tensor.dtype, shape: tensor.shape, statistics: values))
        }
        totals.add(Totals(parameters: tensor.parameters, bytes: tensor.bytes, tensors: 1, statistics: values))
        continue
      }
      let slot = nodes.count
      let sub = try collect(
        members.filter { $0.components.count > level }[...], depth: level, path: childPath,
        separator: separator, options: options, statistics: statistics, into: &nodes)
      if shown {
        nodes.insert(
          .init(
            path: childPath, name: name, depth: level, kind: .folder, parameters: sub.parameters,
            bytes: sub.bytes, tensors: sub.tensors, dtype: nil, shape: nil, statistics: sub.statistics), at: slot)
      }
      totals.add(sub)
    }
    return totals
  }
}
