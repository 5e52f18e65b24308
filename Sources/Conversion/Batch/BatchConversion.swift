import Dispatch
import FileIO
import Formats
import Foundation

/// Converts many checkpoints: each into `outputDirectory` under its relative path, skipping
/// those whose output is already what the conversion would write, a share of them when
/// sharded, several at a time.
public struct BatchConversion: Sendable {
  /// The checkpoints (after ``BatchInputs/expand(_:)``).
  public var items: [BatchItem]
  /// Where the outputs go.
  public var outputDirectory: String
  /// The options every conversion takes; its checkpoint and output are set per item.
  public var template: ConversionRequest
  /// Only this share of the items.
  public var shard: BatchShard?
  /// Conversions at a time.
  public var jobs = 1
  /// Go on after a failure (otherwise no new conversion starts after the first).
  public var keepGoing = false
  /// Verify each export before its commit; one that drifts is not written (and counts as
  /// failed). An up-to-date output an earlier run left marked as unverified is verified then,
  /// and removed when it fails.
  public var verify = false
  /// How existing exports are opened for the up-to-date check.
  public var opening = OpenOptions()

  public init(items: [BatchItem], outputDirectory: String, template: ConversionRequest) {
    self.items = items
    self.outputDirectory = outputDirectory
    self.template = template
  }

  /// The items of this share, in relative-path order, with their outputs.
  public func plannedItems() -> [(item: BatchItem, output: String)] {
    let chosen = items.filter { shard?.contains($0) ?? true }.sorted { $0.relativePath < $1.relativePath }
    return chosen.map { ($0, output(of: $0)) }
  }

  /// Refuses, before anything is converted, a batch in which two checkpoints would write one
  /// output, or one would write its export folder inside another's (`x.npz` and `x/y.npz`:
  /// replacing or removing `x` would take `x/y` with it); every item is checked, not only this
  /// share's, so that shards never race.
  ///
  /// - Throws: ``ConversionError`` naming the output and both checkpoints.
  public func checkOutputsAreDistinct() throws {
    var owners: [String: String] = [:]
    for item in items {
      let output = output(of: item)
      if let other = owners.updateValue(item.checkpoint, forKey: output) {
        throw ConversionError(
          path: output,
          reason: "would be the output of both \(other) and \(item.checkpoint); convert them into different folders")
      }
    }
    guard format.isFolder else { return }
    for (output, checkpoint) in owners.sorted(by: { $0.key < $1.key }) {
      for slash in output.indices where output[slash] == "/" {
        guard let outer = owners[String(output[..<slash])] else { continue }
        throw ConversionError(
          path: output,
          reason: "the output of \(checkpoint) would be inside \(outer)'s export folder; "
            + "convert them into different folders")
      }
    }
  }

  /// The format every item is written in.
  private var format: ExportFormat { template.format ?? .bundle }

  private func output(of item: BatchItem) -> String {
    item.output(in: outputDirectory, suffix: format.suffixes.first ?? "")
  }
}

/// Converts one checkpoint for a batch; the command line does it in a child process, so that a
/// checkpoint that brings a conversion down takes nothing else with it.
public protocol BatchWorker: Sendable {
  /// Converts `request` (and verifies it when `verify`), returning its record.
  func convert(_ request: ConversionRequest, verify: Bool, item: BatchItem) -> BatchRecord
  /// Verifies the existing output of `request` (one an earlier run left marked as unverified),
  /// returning its record: ``BatchRecord/Status/verified`` when it passes.
  func verify(_ request: ConversionRequest, item: BatchItem) -> BatchRecord
  /// The line a record gives for an error the batch met itself (an output that cannot be
  /// skipped, a folder that cannot be made), with the remedy as the caller words it.
  func line(for error: any Error) -> String
}

/// The totals of a batch.
public struct BatchSummary: Encodable, Sendable {
  public var ok = 0
  public var skipped = 0
  /// Outputs an earlier run left marked as unverified, verified by this one.
  public var verified = 0
  public var failed = 0
  /// Conversions and verifications the signal that stopped the batch stopped under way.
  public var interrupted = 0
  /// Items left alone after a failure (without keep-going) or a signal.
  public var notStarted = 0
  /// The signal (SIGINT, SIGTERM, SIGHUP) that stopped the batch before it was done, if one did.
  public var stoppedBySignal: Int32?
  /// Bytes of the exports converted or skipped.
  public var bytes = 0
  public var seconds = 0.0
  /// The slowest conversions, slowest first: input and seconds.
  public var slowest: [Slow] = []
  /// Every failure: input and error.
  public var failures: [Failure] = []

  public struct Slow: Encodable, Sendable {
    public let input: String
    public let seconds: Double
  }

  public struct Failure: Encodable, Sendable {
    public let input: String
    public let error: String
  }

  /// Whether nothing failed.
  public var succeeded: Bool { failed == 0 && notStarted == 0 }
}

extension BatchConversion {
  /// Runs the batch: each item skipped or converted by `worker`, `jobs` at a time; `record` is
  /// called once per item as it finishes (from any thread, one call at a time). Once
  /// ``Interruption/signal`` is set (run it inside ``Interruption/windingDown(onSignal:_:)``),
  /// no item starts; those under way end as their workers end them.
  public func run(worker: any BatchWorker, record: @Sendable (BatchRecord) -> Void) -> BatchSummary {
    let planned = plannedItems()
    let state = BatchState(count: planned.count)
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, planned.count))) { _ in
      while let index = state.next() {
        let (item, output) = planned[index]
        let began = Date()
        var request = template
        request.checkpoint = item.checkpoint
        request.output = output
        request.format = format
        let columns = item.columnValues
        let folders = Self.missingFolders(above: output)
        var result = convertOrSkip(request, item: item, worker: worker, began: began, columns: columns)
        // Stopped under way by the batch's own signal (passed on to the worker, or met by the
        // batch's own work on it): no failure of its checkpoint.
        if result.status == .failed, result.stopSignal != nil, Interruption.signal != nil {
          result.status = .interrupted
        }
        state.finish(result, stopping: result.status == .failed && !keepGoing) {
          record(result)
          if result.status == .failed { state.foldersOfFailures += folders }
        }
      }
    }
    // The folders made for outputs that failed, once no job can still write into them; one
    // that another output went into is not empty, and stays.
    for folder in state.foldersOfFailures.sorted(by: { $0.count > $1.count }) { rmdir(folder) }
    var summary = state.summary
    summary.seconds = Date().timeIntervalSince(start)
    // A signal after the last item was done stopped nothing.
    if summary.notStarted > 0 || summary.interrupted > 0 { summary.stoppedBySignal = Interruption.signal }
    return summary
  }

  /// The folders above `output` that do not exist yet, deepest first.
  private static func missingFolders(above output: String) -> [String] {
    var folders: [String] = []
    var folder = (output as NSString).deletingLastPathComponent
    while !folder.isEmpty, folder != "/", !FileManager.default.fileExists(atPath: folder) {
      folders.append(folder)
      folder = (folder as NSString).deletingLastPathComponent
    }
    return folders
  }

  /// Creates `folder` and those above it that are missing; a failure names the folder and
  /// the system's reason ("File name too long"), not Foundation's error object.
  private static func createFolder(_ folder: String) throws {
    do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
      throw ConversionError(path: folder, reason: "cannot create the folder: \(FileIOError.systemReason(of: error))")
    }
  }

  private func convertOrSkip(
    _ request: ConversionRequest, item: BatchItem, worker: any BatchWorker, began: Date,
    columns: [String: String]?
  ) -> BatchRecord {
    do {
      try Self.createFolder(URL(fileURLWithPath: request.output).deletingLastPathComponent().path)
      // What a killed writer of this output left goes now, even when the output is skipped.
      request.format?.removeLeftovers(beside: request.output)
      if !request.replacing {
        switch try Converter.outputState(request, opening: opening) {
        case .absent: break
        case .upToDate(let header):
          guard verify, PendingVerification.isMarked(request.output) else {
            return BatchRecord(
              input: item.checkpoint, output: request.output, status: .skipped, model: header.model.name,
              parameters: header.model.parameters, bytes: request.format!.diskSize(at: request.output),
              seconds: Date().timeIntervalSince(began), columns: columns)
          }
          // Marked anew as this run's, to be cleared once this verification settles it.
          let mark = try PendingVerification.mark(request.output)
          var record = worker.verify(request, item: item)
          record.parameters = header.model.parameters
          if record.verified == nil, let error = record.error {
            // Not verified: stopped, the next run verifies it; failed (a checksum, the
            // checkpoint went), it is for the user to replace.
            record.error = worker.line(
              for: record.stopSignal == nil
                ? ConversionError(
                  path: request.output, reason: "stays marked as unverified, as verifying it failed (\(error))",
                  remedy: .replaceOutput)
                : ConversionError(
                  path: request.output,
                  reason: "stays marked as unverified, as its verification was stopped (\(error)); "
                    + "the next --verify run verifies it"))
          }
          return settled(record, request, mark, replacing: nil)
        case .outdated(let why):
          throw ConversionError(path: request.output, reason: "already exists but \(why)", remedy: .replaceOutput)
        }
      }
      guard verify else { return removingLeftovers(worker.convert(request, verify: false, item: item), request) }
      // What was there before, so that a conversion that never committed leaves it as it was.
      let replacing = (Exports.identity(of: request.output), wasMarked: PendingVerification.isMarked(request.output))
      // On disk before the output: killed after the commit of a verified export and before the
      // mark goes, the run leaves it, and the next one verifies the output instead of skipping it.
      let mark = try PendingVerification.mark(request.output)
      let record = removingLeftovers(worker.convert(request, verify: true, item: item), request)
      return settled(record, request, mark, replacing: replacing)
    } catch {
      // Interrupted: the batch's signal met its own work on the output (marking it, say).
      return BatchRecord(
        input: item.checkpoint, output: request.output, status: .failed,
        seconds: Date().timeIntervalSince(began), error: worker.line(for: error), columns: columns,
        stopSignal: (error as? Interrupted)?.signal)
    }
  }

  /// `record`, once what its worker left beside the output is gone when it failed: a child
  /// killed outright (the OOM killer, say, while it verifies) leaves its staged export, which
  /// would otherwise stay hidden until a run writes that output again.
  private func removingLeftovers(_ record: BatchRecord, _ request: ConversionRequest) -> BatchRecord {
    if record.status == .failed { request.format?.removeLeftovers(beside: request.output) }
    return record
  }

  /// The record of a worker's verification, once it has settled the output. A conversion's
  /// export is verified before it is put in place, so one that fails was never written; an
  /// existing output verified again (`replacing` nil) that fails is removed whole (it is no
  /// output, and a rerun must not skip it as done). This run's `mark` goes either way, unless
  /// it stands for an output still unverified: one without a verdict (the worker failed), the
  /// failing one when it cannot be removed, or one another run has put there since; and,
  /// after a conversion that never committed, the output there before when it was marked.
  /// `replacing` is what was there before a conversion, nil for a verification alone.
  private func settled(
    _ record: BatchRecord, _ request: ConversionRequest, _ mark: PendingVerification,
    replacing: (output: FileIdentity?, wasMarked: Bool)?
  ) -> BatchRecord {
    var record = record
    if record.verified == false, replacing == nil, !removeFailing(&record, request, mark) { return record }
    let present = Exports.identity(of: request.output)
    // Passed, unless another run has replaced the export since: the next --verify run verifies its own.
    let passed =
      record.verified == true && (record.verifiedExport.map { present?.isUnchanged(from: $0) == true } ?? true)
    if record.verified == true, !passed, present != nil {
      record.notes =
        (record.notes ?? []) + [
          "the export verified was replaced by another run since; the one there now stays marked as unverified, "
            + "so the next --verify run verifies it"
        ]
    }
    // Whether the output is still the one before the conversion (nil: no conversion).
    let unchanged = replacing.map { before in
      before.output.map { present?.isUnchanged(from: $0) == true } ?? (present == nil)
    }
    let untouched = unchanged == true && replacing?.wasMarked == false
    if record.verified == false, let replacing {
      // Unless another run has replaced it since, the output before the conversion stays.
      let stays = unchanged == true && replacing.output != nil ? " (the one there before stays as it was)" : ""
      record.error = (record.error ?? "\(request.output): verification failed") + "; the export was not written" + stays
    }
    if passed || (record.verified == false && replacing == nil) || present == nil || untouched {
      mark.clear()
    } else if unchanged == false, record.verified == nil, let error = record.error {
      // The worker stopped after its commit (or another run's): the export there awaits verification.
      record.error = error + "; the export written stays marked as unverified, so the next --verify run verifies it"
    }
    return record
  }

  /// Removes an existing output whose verification failed (with no conversion), saying so in
  /// `record`'s error; false when it is left, and its mark with it: another run has marked or
  /// replaced it since, or it cannot be removed.
  private func removeFailing(
    _ record: inout BatchRecord, _ request: ConversionRequest, _ mark: PendingVerification
  ) -> Bool {
    let failure = record.error ?? "\(request.output): verification failed"
    // Another run that marked the output since may have replaced it: that export is not this one.
    guard mark.isStillMarked() else {
      record.error = failure + "; the export was left, as another run is writing it or has marked it since"
      return false
    }
    do {
      // Only the export verified: another run (without --verify) may have replaced it since.
      guard try request.format!.remove(at: request.output, ifStill: record.verifiedExport) else {
        record.error =
          failure + "; the export there now was left, as another run has replaced it since "
          + "(it stays marked, so the next --verify run verifies it)"
        return false
      }
    } catch {
      let kept = FileManager.default.fileExists(atPath: request.output) ? ", and stays marked as unverified" : ""
      record.error = failure + "; the export could not be removed (\(error))" + kept
      return false
    }
    record.error = failure + "; the export was removed"
    return true
  }
}

/// The shared progress of a running batch.
private final class BatchState: @unchecked Sendable {
  private let lock = NSLock()
  private let count: Int
  private var nextIndex = 0
  private var stopped = false
  private(set) var summary = BatchSummary()
  /// The folders made for outputs that failed (changed in `finish`'s report, under the lock).
  var foldersOfFailures: [String] = []

  init(count: Int) { self.count = count }

  /// The next item to run, or nil when all are taken or the batch stopped (a signal stops it).
  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    if Interruption.signal != nil { stop() }
    guard !stopped, nextIndex < count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }

  /// Counts a finished item, stops the batch when asked, and reports it (one report at a time).
  func finish(_ record: BatchRecord, stopping: Bool, report: () -> Void) {
    lock.lock()
    defer { lock.unlock() }
    report()
    switch record.status {
    case .ok: summary.ok += 1
    case .skipped: summary.skipped += 1
    case .verified: summary.verified += 1
    case .failed:
      summary.failed += 1
      summary.failures.append(.init(input: record.input, error: record.error ?? "failed"))
    case .interrupted: summary.interrupted += 1
    }
    summary.bytes += record.bytes ?? 0
    if record.status == .ok {
      summary.slowest.append(.init(input: record.input, seconds: record.seconds))
      summary.slowest = Array(summary.slowest.sorted { $0.seconds > $1.seconds }.prefix(3))
    }
    if stopping { stop() }
  }

  /// Starts no more items (under the lock).
  private func stop() {
    guard !stopped else { return }
    stopped = true
    summary.notStarted = count - nextIndex
  }
}
