import FileIO
import Foundation

/// Turns the inputs of a batch into checkpoints: `.npz` files as given, folders searched
/// recursively for `.npz` files, and list files — one path a line, or a CSV with a `filename`
/// column (the shape of the AugReg `index.csv`, whose names lack `.npz`; other columns are
/// kept). Paths in a list are relative to the list's folder.
public enum BatchInputs {
  /// The checkpoints of `inputs`, in the order given (a folder's in path order), each once
  /// (a checkpoint named twice, or found twice, is taken the first time).
  ///
  /// - Throws: ``ConversionError`` for an input that does not exist, or a list that cannot be
  ///   read or has no `filename` column where it is a CSV.
  public static func expand(_ inputs: [String]) throws -> [BatchItem] {
    var seen: Set<String> = []
    return try expandEach(inputs).filter {
      seen.insert(URL(fileURLWithPath: $0.checkpoint).standardizedFileURL.path).inserted
    }
  }

  private static func expandEach(_ inputs: [String]) throws -> [BatchItem] {
    var items: [BatchItem] = []
    for input in inputs {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
        throw ConversionError(path: input, reason: "does not exist")
      }
      if isDirectory.boolValue {
        items += try folder(input)
      } else if input.lowercased().hasSuffix(".npz") {
        items.append(BatchItem(checkpoint: input, relativePath: URL(fileURLWithPath: input).lastPathComponent))
      } else {
        items += try list(input)
      }
    }
    return items
  }

  /// Every `.npz` below `folder`, relative to it, in path order.
  private static func folder(_ folder: String) throws -> [BatchItem] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else {
      throw ConversionError(path: folder, reason: "cannot be listed")
    }
    var relative: [String] = []
    while let path = walker.nextObject() as? String {
      if path.lowercased().hasSuffix(".npz") { relative.append(path) }
    }
    // Named from the folder as given, like a file given itself (a relative path stays relative).
    return relative.sorted().map {
      BatchItem(checkpoint: (folder as NSString).appendingPathComponent($0), relativePath: $0)
    }
  }

  /// The lines of a list file, or the rows of a CSV with a `filename` column.
  private static func list(_ path: String) throws -> [BatchItem] {
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(path, limit: 256 << 20) } catch {
      // Not a regular file, too long, unreadable: the reason the file reader gives.
      let limit = error.exceededLimit == nil ? "" : " (a list of checkpoints is read whole, up to 256 MiB)"
      throw ConversionError(path: path, reason: error.reason + limit)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ConversionError(path: path, reason: "is not UTF-8 text, so not a list of checkpoints")
    }
    // A byte-order mark (Excel's "CSV UTF-8" writes one) is no part of a name: not at the
    // start, nor at the start of a line (lists joined with cat).
    let lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.map {
      String($0.trimmingPrefix("\u{FEFF}"))
    }
    let base = (path as NSString).deletingLastPathComponent as NSString
    func item(_ name: String, _ columns: [BatchItem.Column]) throws -> BatchItem {
      let file = name.lowercased().hasSuffix(".npz") ? name : name + ".npz"
      if file.hasPrefix("/") {
        return BatchItem(checkpoint: file, relativePath: URL(fileURLWithPath: file).lastPathComponent, columns: columns)
      }
      // The export is named after the path: one that climbs out of the list's folder would
      // put it outside the output folder.
      guard let relative = withinFolder(file) else {
        throw ConversionError(
          path: path,
          reason: "names \(name), which leads out of the list's folder, so its export would lie outside the "
            + "output folder; name it from the list's folder down, or by its absolute path (exported under its "
            + "file name)")
      }
      return BatchItem(checkpoint: base.appendingPathComponent(relative), relativePath: relative, columns: columns)
    }
    guard let first = lines.first, first.contains(",") || path.lowercased().hasSuffix(".csv") else {
      return try lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }.map
      {
        try item($0, [])
      }
    }
    guard let header = CSVRow.fields(first) else {
      throw ConversionError(path: path, reason: "has a quote in its header line that does not close on that line")
    }
    guard let column = header.firstIndex(of: "filename") else {
      throw ConversionError(
        path: path,
        reason: "is a CSV without a 'filename' column (its columns: \(header.prefix(8).joined(separator: ", ")))")
    }
    return try lines.dropFirst().enumerated().map { number, line in
      guard let fields = CSVRow.fields(line) else {
        throw ConversionError(path: path, reason: "row \(number + 2) has a quote that does not close on its line")
      }
      guard fields.count == header.count, !fields[column].isEmpty else {
        throw ConversionError(
          path: path,
          reason: "row \(number + 2) has \(fields.count) fields (the header has \(header.count)) "
            + "or no filename")
      }
      let columns = zip(header, fields).enumerated().filter { $0.offset != column }.map {
        BatchItem.Column(name: $0.element.0, value: $0.element.1)
      }
      return try item(fields[column], columns)
    }
  }

  /// `path` (relative) with its `.` and `..` steps resolved, or nil when a `..` climbs above
  /// its start.
  static func withinFolder(_ path: String) -> String? {
    var steps: [Substring] = []
    for step in path.split(separator: "/") where step != "." {
      if step == ".." {
        guard steps.popLast() != nil else { return nil }
      } else {
        steps.append(step)
      }
    }
    return steps.joined(separator: "/")
  }
}

/// One CSV line split into fields (RFC 4180 quoting: `"a,b"` and `""` inside quotes).
enum CSVRow {
  /// The fields of `line`, or nil when a quoted field does not end on it.
  static func fields(_ line: String) -> [String]? {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var characters = line.makeIterator()
    while let character = characters.next() {
      if quoted {
        if character == "\"" {
          var lookahead = characters
          if lookahead.next() == "\"" {
            field.append("\"")
            characters = lookahead
          } else {
            quoted = false
          }
        } else {
          field.append(character)
        }
      } else if character == "\"" {
        quoted = true
      } else if character == "," {
        fields.append(field)
        field = ""
      } else {
        field.append(character)
      }
    }
    guard !quoted else { return nil }
    fields.append(field)
    return fields
  }
}
