import FileIO
import Formats
import Foundation

/// Class names for a classification head, one per class in head order.
public struct LabelSet: Sendable {
  /// One class: its WordNet id when the list has one, and its names.
  public typealias Label = ClassLabel

  /// Where the labels came from: `imagenet1k`, `imagenet21k` or a file path.
  public let source: String
  public let labels: [Label]

  /// The lists shipped with mixer-convert.
  public enum Builtin: String, Sendable, CaseIterable {
    /// ImageNet-1k in the standard class order (1000 classes).
    case imagenet1k
    /// ImageNet-21k in the order of the original 21k heads (21843 classes).
    case imagenet21k

    var classes: Int { self == .imagenet1k ? 1000 : 21843 }
  }

  /// A shipped list.
  public static func builtin(_ list: Builtin) throws -> LabelSet {
    guard let url = Bundle.module.url(forResource: list.rawValue, withExtension: "tsv", subdirectory: "Labels"),
      let data = FileManager.default.contents(atPath: url.path)
    else {
      throw LabelError(source: list.rawValue, reason: "the label list is missing from this installation")
    }
    return try LabelSet(source: list.rawValue, text: String(decoding: data, as: UTF8.self))
  }

  /// The shipped list for a head of `classes` classes, if there is one.
  public static func forHead(classes: Int) throws -> LabelSet? {
    guard let list = Builtin.allCases.first(where: { $0.classes == classes }) else { return nil }
    return try builtin(list)
  }

  /// A user's list: one class per line, `wnid<TAB>name` or just the name.
  public static func file(_ path: String) throws -> LabelSet {
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(path, limit: 64 << 20) } catch {
      throw LabelError(source: path, reason: error.reason)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw LabelError(source: path, reason: "is not UTF-8 text (one class name a line)")
    }
    return try LabelSet(source: path, text: text)
  }

  init(source: String, text: String) throws {
    self.source = source
    // Any line ending (a Windows "\r\n" is one Character, not "\n"); blank lines at the end
    // are no classes.
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
    labels = try lines.enumerated().map { number, line in
      let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      let name = fields.count == 2 ? fields[1] : fields[0]
      guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw LabelError(source: source, reason: "line \(number + 1) names no class")
      }
      return Label(wordnetID: fields.count == 2 ? String(fields[0]) : nil, name: String(name))
    }
  }
}

/// A label list that cannot be used.
public struct LabelError: Error, Equatable, Sendable, CustomStringConvertible {
  public let source: String
  public let reason: String
  public var description: String { "\(source): \(reason)" }
}
