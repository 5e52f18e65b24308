import ArgumentParser
import Conversion
import FileIO
import Formats
import Foundation
import Kernels
import Runtime

/// `mixer-convert convert-all`: many checkpoints, idempotent, resumable and shardable.
struct ConvertAll: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert-all",
    abstract: "Convert many checkpoints: idempotent, resumable, and shardable over machines.",
    discussion: """
      INPUT is any number of .npz files, folders (searched recursively for .npz) and list \
      files (one path a line, or a CSV with a 'filename' column such as AugReg's index.csv; \
      a name without .npz gets it; paths are relative to the list's folder; the other columns \
      go into the report). Each checkpoint is converted into OUT_DIR under its path relative \
      to its folder (or as the list names it), without .npz, plus the format's suffix; every \
      option of `convert` applies to each.

      An output that exists and was made from the same source bytes (its recorded SHA-256) \
      with the same options is skipped, so a rerun after an interruption (kill -9 included) \
      converts only the rest; each output appears whole or not at all. With --verify, each \
      export is verified before it is put in place (one that drifts is not written), and an \
      output a killed run left unverified is verified, not skipped. --shard K/N takes a \
      deterministic share (K from 0 to N-1): N processes on N machines, given the same \
      inputs, convert every checkpoint exactly once. Each conversion runs in a child process, \
      --jobs at a time. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the batch: the conversions \
      under way are stopped (reported as interrupted) and leave nothing behind, none starts, \
      the summary is printed, and a rerun of the same command converts the rest; a second \
      Ctrl-C ends the batch at once. Exit \
      status: 0 when every checkpoint is converted, verified or skipped, 2 if any failed \
      (without --keep-going, no new conversion starts after the first failure), 128 + N when \
      signal N stopped it.

      Examples:
        mixer-convert convert-all checkpoints/ --out-dir exports/ --format onnx --jobs 2
        mixer-convert convert-all index.csv --out-dir exports/ --report report.jsonl --verify
        mixer-convert convert-all checkpoints/ --out-dir exports/ --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
        parallel mixer-convert convert-all ckpts/ --out-dir out/ --shard {}/4 ::: 0 1 2 3
      """)

  @Argument(help: ".npz files, folders of them, or list files (lines or CSV with a 'filename' column).")
  var inputs: [String]

  @Option(help: "The folder to write the exports into (created when missing).")
  var outDir: String

  @OptionGroup(title: "Export options (as for convert)")
  var export: ExportArguments

  @Option(help: ArgumentHelp("Convert only share K of N (K from 0 to N-1).", valueName: "K/N"))
  var shard: String?

  @Option(help: "Conversions at a time (default 1; each already hashes on a second thread).")
  var jobs = 1

  @Option(
    help: ArgumentHelp(
      "Write one JSON line per checkpoint to this file (appended to when it exists, so reruns add theirs; "
        + "an existing file that is not such a report is refused).",
      valueName: "file.jsonl"))
  var report: String?

  @Flag(help: "Verify each export before putting it in place (one that drifts is not written and counts as failed).")
  var verify = false

  @Flag(help: "Go on after a failure.")
  var keepGoing = false

  @OptionGroup(title: "Running (with --verify)")
  var running: ModelRunArguments

  @OptionGroup(title: "Reporting")
  var reporting: ReportArguments

  func validate() throws {
    guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
    if export.format == .npz {
      // A rerun must tell an up-to-date output from a stale one, by the source recorded in it.
      throw ValidationError(
        "convert-all writes exports, which record their source so that a rerun skips what is done; "
          + "an .npz records none: write .npz checkpoints one at a time with convert")
    }
    if let shard, BatchShard(shard) == nil { throw ValidationError("--shard must be K/N with 0 <= K < N, e.g. 0/4") }
    try running.refuseWithoutVerify(verify)
  }

  func run() throws {
    // Ctrl-C or a scheduler's SIGTERM, from here on: the conversions under way stop (the signal
    // passed on), none starts, and the summary says what was done.
    try Interruption.windingDown(onSignal: ChildProcess.forward) { try convertAll() }
  }

  private func convertAll() throws {
    let outDir = PathArgument.normalized(self.outDir)
    let items = try BatchInputs.expand(inputs.map(PathArgument.normalized))
    guard !items.isEmpty else {
      throw ValidationError("found no .npz checkpoint in \(inputs.joined(separator: ", "))")
    }
    var batch = BatchConversion(
      items: items, outputDirectory: outDir, template: try export.request(checkpoint: "", output: nil))
    batch.shard = shard.flatMap(BatchShard.init)
    batch.jobs = jobs
    batch.keepGoing = keepGoing
    batch.verify = verify
    batch.opening.hdf5 = HDF5ReaderCommand.isolated
    try batch.checkOutputsAreDistinct()
    // The report is appended to: pointed at a checkpoint or a list of them, it would damage it.
    if let given = self.report, given.hasSuffix("/") {
      throw ValidationError("--report \(given): ends with /, which names a folder, but the report is a file")
    }
    let report = self.report.map(PathArgument.normalized)
    if let report {
      // The inputs that are files, not folders of checkpoints: the lists.
      let lists = inputs.map(PathArgument.normalized).filter { path in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
      }
      try InputGuard.check(output: report, inputs: items.map(\.checkpoint) + lists)
      try ExportFormat.refuseInsideExport(report)
    }
    let created = try OutputFolder.create(outDir)
    // A folder this run made and left empty (every conversion failed) is not left behind.
    defer { if created { rmdir(outDir) } }
    let total = batch.plannedItems().count
    let log = try report.map { try BatchLog(path: $0) }
    let progress = ProgressBar(label: "convert-all", units: .checkpoints, enabled: reporting.text)
    let counter = Counter()
    // The children that run at once share the cores, and what the machine or the control
    // group allows in memory.
    let concurrent = max(1, min(jobs, total))
    let worker = ChildConversion(
      threads: running.threads ?? max(1, Compute.availableProcessors / concurrent),
      checksums: !running.noChecksum, memoryShare: max(1, MemoryBudget.sharedLimit / concurrent))
    let summary = batch.run(worker: worker) { record in
      log?.append(record)
      progress.update(done: counter.increment(), total: total)
      // Under --quiet and --json too: an error is never silent, nor a warning.
      for warning in record.warnings ?? [] { Console.warning("\(record.input): \(warning)") }
      if record.status == .failed { Console.error(record.error ?? record.input) }
    }
    progress.finish()
    if reporting.json {
      try Console.printJSON(BatchJSON(summary: summary, error: log?.failure))
    } else if reporting.text {
      BatchSummaryText.lines(summary, total: total, shard: batch.shard).forEach(Console.line)
    }
    if let signal = summary.stoppedBySignal { throw ExitCode(Interrupted(signal: signal).exitStatus) }
    if let failure = log?.failure { throw CommandFailure(message: failure, status: 2) }
    if !summary.succeeded { throw ExitCode(2) }
  }
}

/// A count shared by the threads that report.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func increment() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}

/// The folder a batch writes into.
enum OutputFolder {
  /// Creates `path` and the folders above it when missing, returning whether `path` itself was
  /// made; refuses, in one line, a path that is or passes through a file.
  static func create(_ path: String) throws -> Bool {
    // The nearest folder that exists, `path` itself included (the root always does).
    let target = URL(fileURLWithPath: path).standardizedFileURL
    var existing = target
    var isDirectory: ObjCBool = false
    while !FileManager.default.fileExists(atPath: existing.path, isDirectory: &isDirectory) {
      existing.deleteLastPathComponent()
    }
    guard isDirectory.boolValue else {
      var info = stat()
      let kind = lstat(existing.path, &info) == 0 ? AtomicOutput.noun(info.st_mode & S_IFMT) : "a file"
      throw ValidationError("--out-dir \(path): \(existing.path) is \(kind), not a folder")
    }
    guard existing != target else { return false }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw ValidationError("--out-dir \(path): cannot create the folder: \(FileIOError.systemReason(of: error))")
    }
    return true
  }
}
