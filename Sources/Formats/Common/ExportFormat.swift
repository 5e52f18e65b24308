import FileIO
import Foundation
import Graph

/// The formats an export can be written in. Each is one folder under `Sources/Formats` that
/// writes it, reads it and describes it (an ``ExportFormatDefinition``), and one line in
/// ``definition``.
public enum ExportFormat: String, Codable, Sendable, CaseIterable {
  /// A bundle folder: graph.json, an index and safetensors shards (formats/bundle-v1.md).
  case bundle
  /// One HDF5 file (formats/hdf5-layout.md).
  case hdf5
  /// One ONNX file, with a data file beside it for large models (formats/onnx-layout.md).
  case onnx
  /// A folder timm loads as `local-dir:` (formats/timm-layout.md).
  case timm
  /// A folder Hugging Face transformers loads with `from_pretrained` (formats/transformers-layout.md).
  case transformers
  /// An `.npz` checkpoint in the original Flax names and layouts (formats/npz-write-back.md).
  case npz

  /// The implementation.
  var definition: any ExportFormatDefinition.Type {
    switch self {
    case .bundle: BundleFormat.self
    case .hdf5: HDF5Format.self
    case .onnx: ONNXFormat.self
    case .timm: TimmFormat.self
    case .transformers: TransformersFormat.self
    case .npz: NpzFormat.self
    }
  }

  /// What the output is, in a few words (`a bundle folder`).
  public var noun: String { definition.noun }
  /// Whether the export is a folder rather than a file.
  public var isFolder: Bool { definition.isFolder }
  /// Whether tensors are written in the natural order of their Flax keys (an .npz checkpoint's
  /// members) rather than the plan's.
  public var ordersByFlaxKey: Bool { definition.ordersByFlaxKey }
  /// The file suffixes that imply this format (lowercase, with the dot).
  public var suffixes: [String] { definition.suffixes }
  /// The format-specific options it takes.
  public var options: Set<ExportOption> { definition.options }
  /// Whether mixer-convert reads it back as an export (`run`, `verify`, `inspect`); an `.npz`
  /// is read as a checkpoint instead.
  public var isReadable: Bool { definition.isReadable }
  /// Whether the export names the head's classes, so its writer wants
  /// ``ExportWriteRequest/labels`` (the others leave them unread, and need not be given them).
  public var namesClasses: Bool { definition.namesClasses }

  /// Opens the existing export at `path`, which must be of this format (``Exports/format(of:)``).
  public func open(_ path: String, _ options: OpenOptions = OpenOptions()) throws -> any LoadedExport {
    try definition.open(path, options)
  }

  /// The format an output path implies by its suffix: the format that claims the suffix, a
  /// bundle folder for a name without one (or ending in `/`), nil for any other suffix.
  public static func implied(by path: String) -> ExportFormat? {
    let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
    if let format = allCases.first(where: { format in format.suffixes.contains { name.hasSuffix($0) } }) {
      return format
    }
    let isFolderName = path.hasSuffix("/") || !name.dropFirst().contains(".")
    return isFolderName ? .bundle : nil
  }

  /// The readable one-file format whose suffix `path` has (`.h5`, `.onnx`), if any.
  public static func claimedFile(by path: String) -> ExportFormat? {
    implied(by: path).flatMap { $0.isReadable && !$0.isFolder ? $0 : nil }
  }

  /// Starts writing an export in this format, or refuses, before anything is written, a model
  /// the format cannot express, naming the formats that can.
  public func writer(_ request: ExportWriteRequest) throws -> any ExportWriter {
    if request.replacing, let refusal = Self.replacementRefusal(request.path) {
      throw ExportFileError(path: request.path, reason: refusal)
    }
    try Self.refuseInsideExport(request.path)
    if let reason = definition.refusal(request) {
      let able = Self.allCases.filter { $0 != self && $0.definition.refusal(request) == nil }.map(\.rawValue)
      throw ExportFileError(
        path: request.path, reason: "\(rawValue) cannot hold this model: \(reason); \(able.listed("and")) can")
    }
    return try definition.writer(request)
  }

  /// Why the folder at `path` (not a link to one) must not be replaced, since replacing it
  /// would delete what is no export: a folder no folder format recognises (a user's folder
  /// given as the output by mistake), or an export folder that also holds entries no export of
  /// its format writes (notes put beside the weights), or an entry of a name it writes that is
  /// no regular file; or a folder whose entries cannot be removed. Nil for anything else.
  static func replacementRefusal(_ path: String) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else {
      return "is a folder whose entries cannot be listed, so replacing it could delete what is no export; "
        + "remove the folder first"
    }
    guard !entries.isEmpty else { return nil }
    if let unremovable = unremovable(path, info, entries) {
      return "is a folder whose files you cannot remove (\(unremovable.reason)), so replacing it would leave them "
        + "behind: \(unremovable.remedy)"
    }
    guard let format = folderFormat(at: path) else {
      return "is a folder that holds files but no export (no mixer-convert graph.json, timm or transformers folder); "
        + "only an export is replaced: choose another output, or remove the folder first"
    }
    let written = format.definition.writtenNames(at: path)
    let foreign = entries.filter { name in
      var entry = stat()
      let isFile = lstat(path + "/" + name, &entry) == 0 && entry.st_mode & S_IFMT == S_IFREG
      return !isFile || !written.contains(name)
    }.sorted()
    guard !foreign.isEmpty else { return nil }
    return "is \(format.noun) but also holds \(foreign.namedFiles), not part of the export, which replacing the "
      + "folder would delete: move \(foreign.count == 1 ? "it" : "them") out first, or remove the folder"
  }

  /// Why this process could not remove `entries` from the folder at `path` (whose `lstat` is
  /// `folder`), and what to do, in a few words each; nil when it can: the folder must be
  /// writable, and where it is sticky (mode +t) and not its own, each entry must be its own
  /// (root removes anything).
  static func unremovable(_ path: String, _ folder: stat, _ entries: [String]) -> (reason: String, remedy: String)? {
    let own = folder.st_uid == geteuid()
    guard access(path, W_OK | X_OK) == 0 else {
      return own
        ? ("it is not writable", "make it writable (chmod u+w) or remove it first")
        : ("it belongs to another user", "remove it as its owner first")
    }
    guard geteuid() != 0, folder.st_mode & S_ISVTX != 0, !own else { return nil }
    let othersOwn = entries.contains { name in
      var entry = stat()
      return lstat(path + "/" + name, &entry) != 0 || entry.st_uid != geteuid()
    }
    return othersOwn ? ("its sticky bit keeps files of other users", "remove it as its owner first") : nil
  }

  /// The folder format whose export the folder at `path` holds, judged by its content.
  static func folderFormat(at path: String) -> ExportFormat? {
    allCases.first { $0.isFolder && $0.definition.recognizes(path) }
  }

  /// Refuses an output inside an export folder, which replacing that export would delete.
  ///
  /// - Throws: ``ExportFileError`` naming the output and the folder.
  public static func refuseInsideExport(_ path: String) throws {
    guard let enclosing = enclosingExport(of: path) else { return }
    throw ExportFileError(
      path: path,
      reason: "is inside the export folder \(enclosing), which replacing that export would delete; "
        + "choose an output outside it")
  }

  /// The nearest folder above `path` that holds an export (a folder format recognises it), or
  /// nil when there is none; relative to the current folder when `path` is relative and the
  /// export lies below it (as the user named it), absolute otherwise.
  static func enclosingExport(of path: String) -> String? {
    var folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
    while folder.path != "/" {
      if folderFormat(at: folder.path) != nil {
        let current = FileManager.default.currentDirectoryPath + "/"
        let below = !path.hasPrefix("/") && folder.path.hasPrefix(current)
        return below ? String(folder.path.dropFirst(current.count)) : folder.path
      }
      folder.deleteLastPathComponent()
    }
    return nil
  }

  /// Why an export named `path` should not be written in this format: its suffix claims
  /// another format (an HDF5 file named `.onnx`, or a folder named `.npz`, which every reader
  /// would take for what its name says). Nil when the name fits or has a suffix no format
  /// claims, and for a file format's name without a suffix.
  public func misnaming(_ path: String) -> String? {
    guard let claimed = Self.implied(by: path), claimed != self, !claimed.isFolder else { return nil }
    return "its suffix names \(claimed.noun), not \(noun); choose a name that does not claim another format"
  }

  /// Every file of the export at `path` (a bundle's files, an ONNX file and its data).
  public func files(at path: String) -> [String] { definition.files(at: path) }

  /// Removes the export at `path` whole (``AtomicOutput/removeExisting(ifStill:madeOf:alongWith:)``):
  /// the folder, or the file and then its data file; under the output's lock, so never while
  /// another process writes it.
  ///
  /// - Parameter identity: when given, the export is removed only while `path` still names
  ///   that file or folder, none of its files changed (``AtomicOutput/removeExisting(ifStill:madeOf:alongWith:)``;
  ///   `identity` taken by ``Exports/identity(of:)``).
  /// - Returns: false when `path` names another export than `identity` (it is left).
  /// - Throws: ``FileIOError`` when it cannot be removed (it is then untouched), or not all of
  ///   it could be deleted after it left its name; ``Interrupted`` after a signal.
  @discardableResult
  public func remove(at path: String, ifStill identity: FileIdentity? = nil) throws -> Bool {
    // A folder that holds more than an export (a user's notes) is not this tool's to delete.
    if isFolder, let refusal = Self.replacementRefusal(path) { throw ExportFileError(path: path, reason: refusal) }
    let parts = files(at: path)
    let data = isFolder ? [] : parts.dropFirst()
    return try AtomicOutput(finalPath: path, isDirectory: isFolder, replacing: true, displacedRefusal: displacedRefusal)
      .removeExisting(ifStill: identity, madeOf: parts, alongWith: Array(data))
  }

  /// Removes what a writer of the export at `path` that was killed left beside it
  /// (``StaleTemporaries/removeLeftovers(of:displacedRefusal:)``): the next run writing there
  /// would, and a run that skips the export does it too, so nothing stays hidden for good.
  public func removeLeftovers(beside path: String) {
    for writer in definition.writerPaths(at: path) {
      StaleTemporaries.removeLeftovers(of: writer, displacedRefusal: displacedRefusal)
    }
  }

  /// What decides whether an output displaced from this format's path may be deleted (a
  /// folder's contents are checked; a file is the export).
  private var displacedRefusal: ((String) -> String?)? {
    guard isFolder else { return nil }
    return Self.replacementRefusal
  }

  /// Bytes on disk of the export at `path`.
  public func diskSize(at path: String) -> Int {
    files(at: path).reduce(0) { $0 + (RegularFile.size(at: $1) ?? 0) }
  }
}

/// An option that belongs to one format; given with another format, it is refused.
public enum ExportOption: String, Sendable, CaseIterable {
  /// The largest safetensors shard (bundles).
  case shardSize
  /// Chunked, shuffled, gzip-compressed datasets (HDF5).
  case compression
  /// Weights in a separate data file (ONNX).
  case externalData

  /// The option in words (`shard size`).
  public var words: String {
    switch self {
    case .shardSize: "shard size"
    case .compression: "compression"
    case .externalData: "external data"
    }
  }
}

extension ExportOptions {
  /// The options that differ from their defaults.
  public var given: Set<ExportOption> {
    var given: Set<ExportOption> = []
    if shardSize != nil { given.insert(.shardSize) }
    if compressed { given.insert(.compression) }
    if externalData { given.insert(.externalData) }
    return given
  }

  /// The options as `format` applies them, defaults resolved (a bundle's shard size), as an
  /// export records them.
  public func resolved(for format: ExportFormat) -> ExportOptions {
    var resolved = ExportOptions()
    if format.options.contains(.shardSize) { resolved.shardSize = shardSize ?? BundleLayout.defaultShardSize }
    resolved.compressed = format.options.contains(.compression) && compressed
    resolved.externalData = format.options.contains(.externalData) && externalData
    return resolved
  }
}

/// One export format's implementation: its writer, its reader and how it is named.
protocol ExportFormatDefinition {
  /// What the output is, in a few words.
  static var noun: String { get }
  /// Whether the export is a folder.
  static var isFolder: Bool { get }
  /// File suffixes that imply the format (lowercase, with the dot); none for a folder.
  static var suffixes: [String] { get }
  /// The format-specific options it takes.
  static var options: Set<ExportOption> { get }
  /// Whether mixer-convert reads it back as an export.
  static var isReadable: Bool { get }
  /// Whether the export names the head's classes (from ``ExportWriteRequest/labels``).
  static var namesClasses: Bool { get }
  /// Whether tensors are written in the natural order of their Flax keys rather than the
  /// plan's (upstream module) order.
  static var ordersByFlaxKey: Bool { get }
  /// Why the format cannot hold the requested model, in a few words; nil when it can.
  static func refusal(_ request: ExportWriteRequest) -> String?
  /// Whether the existing file or folder at `path` holds this format, judged by its content.
  static func recognizes(_ path: String) -> Bool
  /// Starts writing an export.
  static func writer(_ request: ExportWriteRequest) throws -> any ExportWriter
  /// Opens an export, checking it as the format requires.
  static func open(_ path: String, _ options: OpenOptions) throws -> any LoadedExport
  /// Every file the export at `path` consists of.
  static func files(at path: String) -> [String]
  /// The paths the writers of an export at `path` write under (``AtomicOutput``): `path`, and
  /// any file written beside it under a working name.
  static func writerPaths(at path: String) -> [String]
  /// The names of the entries an export in this format wrote in its folder at `path` (none
  /// for a file format): replacing a folder that holds anything else is refused.
  static func writtenNames(at path: String) -> Set<String>
}

extension ExportFormatDefinition {
  static func writtenNames(at path: String) -> Set<String> { [] }
  static func writerPaths(at path: String) -> [String] { [path] }
  static var isReadable: Bool { true }
  static var namesClasses: Bool { false }
  static var ordersByFlaxKey: Bool { false }
  static func refusal(_ request: ExportWriteRequest) -> String? { nil }
}
