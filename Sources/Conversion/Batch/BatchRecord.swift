import FileIO

/// One line of a batch report (JSON Lines): what happened to one checkpoint.
public struct BatchRecord: Encodable, Sendable {
  /// What happened.
  public enum Status: String, Encodable, Sendable {
    /// Converted (and verified, when asked).
    case ok
    /// Its output was already what the conversion would write.
    case skipped
    /// Its output was already what the conversion would write, but an earlier run left it
    /// marked as unverified (``PendingVerification``); verified now.
    case verified
    /// It could not be converted, or drifted in verification; see `error`.
    case failed
    /// The signal that stopped the batch stopped its conversion or verification under way
    /// (`error` says how far it got); the next run takes it up.
    case interrupted
  }

  /// The checkpoint.
  public let input: String
  /// The export written, or that would have been.
  public let output: String
  public internal(set) var status: Status
  /// The model's display name, when known.
  public let model: String?
  public var parameters: Int?
  /// Bytes of the export on disk (ok and skipped).
  public let bytes: Int?
  /// Wall-clock seconds spent on this checkpoint.
  public let seconds: Double
  /// The one-line error (failed).
  public var error: String?
  /// Whether verification passed, and each output's largest difference relative to the
  /// original's largest magnitude (with verification).
  public let verified: Bool?
  public let drift: [String: Double]?
  /// The other columns of the checkpoint's CSV row.
  public let columns: [String: String]?
  /// What a user of the export must know (``ConversionSummary/notes`` and
  /// ``ConversionSummary/warnings``: a library's limits, NaN weights; an export replaced since it
  /// was verified). Only when there is any.
  public internal(set) var notes: [String]?
  /// The conversion's warnings (``ConversionSummary/warnings``), also among `notes`: the batch
  /// shows them as they come. Not in the report.
  public let warnings: [String]?
  /// The export the verification read (``ParityReport/exportIdentity``; a conversion's, as its
  /// commit put it in place): an existing output that drifts is removed, and one that passes
  /// counts as verified, only while the output is still this export. Not in the report.
  public let verifiedExport: FileIdentity?
  /// The signal that stopped the worker, or the batch's own work on the output, before it
  /// finished, if one did. Not in the report.
  public let stopSignal: Int32?

  public init(
    input: String, output: String, status: Status, model: String? = nil, parameters: Int? = nil,
    bytes: Int? = nil, seconds: Double, error: String? = nil, verified: Bool? = nil,
    drift: [String: Double]? = nil, columns: [String: String]? = nil, notes: [String]? = nil,
    warnings: [String]? = nil, verifiedExport: FileIdentity? = nil, stopSignal: Int32? = nil
  ) {
    self.input = input
    self.output = output
    self.status = status
    self.model = model
    self.parameters = parameters
    self.bytes = bytes
    self.seconds = seconds
    self.error = error
    self.verified = verified
    self.drift = drift
    self.columns = columns
    self.notes = notes
    self.warnings = warnings
    self.verifiedExport = verifiedExport
    self.stopSignal = stopSignal
  }

  private enum CodingKeys: String, CodingKey {
    case input, output, status, model, parameters, bytes, seconds, error, verified, drift, columns, notes
  }
}
