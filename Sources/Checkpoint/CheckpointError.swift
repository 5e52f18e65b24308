/// A problem with a checkpoint file, reported as one line naming the file and the entry.
///
/// Every failure to read an `.npz` (a broken archive, a hostile npy header, an unsupported
/// dtype, data shorter than promised) surfaces as this type, so the command line can print it
/// and exit with status 2 without knowing which layer found the problem.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file that was being read.
  public let path: String
  /// The archive member or tensor concerned, when the problem is local to one.
  public let member: String?
  /// What is wrong, in words a user can act on.
  public let reason: String

  public init(path: String, member: String? = nil, reason: String) {
    self.path = path
    self.member = member
    self.reason = reason
  }

  public var description: String {
    if let member { return "\(path): member '\(member)': \(reason)" }
    return "\(path): \(reason)"
  }
}

/// A format violation found while decoding bytes, before the file and member are known.
///
/// Decoders that work on plain bytes throw this; the archive reader attaches the file and
/// member and rethrows it as a ``CheckpointError``.
public struct FormatViolation: Error, Equatable, Sendable, CustomStringConvertible {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
