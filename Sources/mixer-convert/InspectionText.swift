import Conversion
import Formats
import Foundation
import Graph
import Models

/// Renders an ``InspectionReport`` as aligned text.
enum InspectionText {
  static func lines(_ report: InspectionReport, statistics: Bool) -> [String] {
    var lines = treeLines(report.nodes, statistics: statistics)
    var totals = "total: \(groupedDigits(report.parameters)) parameters in \(report.tensors) tensors, "
    totals +=
      "\(Formatting.bytes(report.bytes)) of data; file \(Formatting.bytes(report.fileBytes)) (\(report.compression))"
    lines.append(totals)
    if !report.prefix.isEmpty { lines.append("key prefix: '\(report.prefix)' (removed from the paths above)") }
    if !report.keysOutsidePrefix.isEmpty {
      lines.append(
        "ignored: \(report.keysOutsidePrefix.count) keys outside the prefix, e.g. \(report.keysOutsidePrefix[0])")
    }
    let model = report.model
    guard model.recognized, let summary = model.summary else {
      lines.append("model: unrecognised: \(model.reason ?? "unknown layout")")
      return lines
    }
    lines.append("model: \(summary)")
    lines.append("config: " + configText(model))
    if let problems = model.report?.lines, !problems.isEmpty {
      lines.append("layout: \(problems.count) problem" + (problems.count == 1 ? "" : "s") + ":")
      lines += problems.prefix(20).map { "  " + $0 }
      if problems.count > 20 { lines.append("  … and \(problems.count - 20) more (see --json)") }
    } else {
      lines.append("layout: every expected tensor present with the expected shape; nothing unused")
    }
    return lines
  }

  /// An export: its weight tree, then what it holds and how to feed it.
  static func lines(_ report: ExportInspectionReport, statistics: Bool) -> [String] {
    var lines = treeLines(report.nodes, statistics: statistics)
    lines.append(
      "total: \(groupedDigits(report.parameters)) parameters in \(report.tensors) tensors, "
        + "\(Formatting.bytes(report.bytes)) of \(report.dtype) data; \(report.container.noun) "
        + Formatting.bytes(report.fileBytes))
    let model = report.model
    lines.append(
      "model: \(model.name) · \(model.variant) · from \(model.source.file) (SHA-256 \(model.source.sha256.prefix(12))…)"
        + " · \(report.generator.name) \(report.generator.version), format \(report.formatVersion)")
    lines.append(
      "input: \(report.input.name) \(symbolicShape(report.input.shape)) \(report.input.layout) \(report.input.dtype): "
        + report.input.preprocessing.description)
    for output in report.outputs {
      lines.append("output: \(output.name) \(symbolicShape(output.shape)): \(output.description)")
    }
    let operations = report.operations.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    lines.append(
      "graph: \(report.operations.values.reduce(0, +)) nodes: "
        + operations.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    lines.append("checksums: not checked here (run and verify check every one)")
    return lines
  }

  /// The folder and tensor lines, as a table with a header.
  private static func treeLines(_ nodes: [InspectionReport.Node], statistics: Bool) -> [String] {
    var rows: [[String]] = []
    for node in nodes {
      let name = String(repeating: "  ", count: node.depth - 1) + node.name + (node.kind == .folder ? "/" : "")
      var row = [
        name, node.shape.map(shapeText) ?? "", node.dtype?.rawValue ?? "",
        groupedDigits(node.parameters), Formatting.bytes(node.bytes),
      ]
      if node.kind == .folder { row[1] = "\(node.tensors) tensor" + (node.tensors == 1 ? "" : "s") }
      if statistics {
        if let s = node.statistics {
          row += [s.min, s.max, s.mean, s.std].map(Formatting.number) + ["\(s.nanCount)", "\(s.infCount)"]
        } else {
          row += Array(repeating: "", count: 6)
        }
      }
      rows.append(row)
    }
    var header = ["name", "shape", "dtype", "params", "bytes"]
    if statistics { header += ["min", "max", "mean", "std", "nan", "inf"] }
    var lines = table([header] + rows, rightAligned: [3, 4, 5, 6, 7, 8, 9, 10])
    lines.append("")
    return lines
  }

  private static func configText(_ model: InspectionReport.Model) -> String {
    var parts: [String] = []
    if let c = model.mixer {
      parts = [
        "patch \(c.patchSize)", "hidden \(c.hiddenDim)", "\(c.blocks) blocks", "token MLP \(c.tokensMLPDim)",
        "channel MLP \(c.channelsMLPDim)", "\(c.tokens) tokens",
      ]
    }
    if let c = model.vit {
      if let r = c.resnet {
        let units = r.stageUnits.isEmpty ? "root only" : "units \(r.stageUnits.map(String.init).joined(separator: "/"))"
        parts.append("ResNet \(units), width \(r.rootWidth)")
      }
      parts += [
        "patch \(c.patchSize)", "hidden \(c.hiddenSize)", "\(c.layers) layers", "MLP \(c.mlpDim)",
        "\(c.heads) heads", "classifier \(c.classifier.rawValue)", "\(c.tokens) tokens",
        "\(c.naming.rawValue) block names",
      ]
    }
    if let size = model.imageSize { parts.append("\(size)×\(size) input") }
    return parts.joined(separator: " · ")
  }

  /// Pads columns to equal width.
  static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
      var line = row.enumerated().map { i, cell in
        let pad = String(repeating: " ", count: widths[i] - cell.count)
        return rightAligned.contains(i) ? pad + cell : cell + pad
      }.joined(separator: "  ")
      while line.last?.isWhitespace == true { line.removeLast() }
      return line
    }
  }
}
