import CSupport
import Conversion
import FileIO
import Foundation
import Runtime

/// Converts one checkpoint of a batch in a child process (`mixer-convert convert … --json`),
/// so that whatever brings one conversion down leaves the batch running, and parses its
/// summary into the batch record.
struct ChildConversion: BatchWorker {
  /// Threads each child may use to verify.
  let threads: Int
  /// Check the export's checksums when verifying.
  let checksums: Bool
  /// The bytes of memory each child may use (its budget is half of them): what the machine or
  /// the control group allows, divided among the children that run at once.
  let memoryShare: Int

  func line(for error: any Error) -> String { ErrorHints.line(for: error) }

  func convert(_ request: ConversionRequest, verify: Bool, item: BatchItem) -> BatchRecord {
    var arguments = ["convert", "--json"] + ExportArguments.arguments(for: request)
    if verify { arguments += ["--verify"] + verifying }
    // After `--`, a path starting with - is no option.
    return run(arguments + ["--", request.checkpoint, request.output], request, item, success: .ok) { output in
      let summary = try Self.decoder.decode(ChildSummary.self, from: output)
      return (summary.conversion, summary.verification)
    }
  }

  func verify(_ request: ConversionRequest, item: BatchItem) -> BatchRecord {
    let arguments = ["verify", "--json"] + verifying + ["--", request.checkpoint, request.output]
    return run(arguments, request, item, success: .verified) { output in
      (nil, try Self.decoder.decode(ChildSummary.Verification.self, from: output))
    }
  }

  /// The options of a child's verification.
  private var verifying: [String] { ["--threads", String(threads)] + (checksums ? [] : ["--no-checksum"]) }

  /// Runs the child `mixer-convert arguments` for `request` and makes its record from what
  /// `parse` reads in its JSON (a conversion, a verification or both): `success` when the
  /// child ends with status 0.
  private func run(
    _ arguments: [String], _ request: ConversionRequest, _ item: BatchItem, success: BatchRecord.Status,
    parse: (Data) throws -> (ChildSummary.Conversion?, ChildSummary.Verification?)
  ) -> BatchRecord {
    let began = Date()
    let columns = item.columnValues
    let result: ChildProcess.Result
    do {
      result = try ChildProcess.run(
        HDF5ReaderCommand.executable, arguments, environment: [MemoryBudget.shareVariable: String(memoryShare)])
    } catch {
      return BatchRecord(
        input: item.checkpoint, output: request.output, status: .failed, seconds: 0,
        error: "cannot start mixer-convert \(arguments[0]): \(FileIOError.systemReason(of: error))",
        columns: columns)
    }
    let seconds = Date().timeIntervalSince(began)
    let parsed = try? parse(result.output)
    let (conversion, verification) = (parsed?.0, parsed?.1)
    let drift = verification.map {
      Dictionary($0.outputs.map { ($0.name, $0.relativeMaxDiff) }) { first, _ in first }
    }
    guard result.status == 0, parsed != nil else {
      let nonFinite = verification?.nonFiniteWeights ?? []
      let reason =
        result.status == 1 && verification?.passed == false
        ? "\(request.output): verification "
          + (nonFinite.isEmpty
            ? "found drift beyond tolerance (\(Self.text(drift ?? [:])))"
            : "failed: the outputs are not finite, as " + ParityReportOutput.nonFiniteCause(nonFinite))
        : Self.lastError(result.error) ?? "\(item.checkpoint): mixer-convert \(arguments[0]) \(result.ending)"
      return BatchRecord(
        input: item.checkpoint, output: request.output, status: .failed,
        model: conversion?.model ?? verification?.model, parameters: conversion?.parameters, seconds: seconds,
        error: reason, verified: verification?.passed, drift: drift, columns: columns,
        verifiedExport: verification?.exportIdentity, stopSignal: result.signal)
    }
    let warnings = conversion?.warnings ?? []
    return BatchRecord(
      input: item.checkpoint, output: request.output, status: success,
      model: conversion?.model ?? verification?.model, parameters: conversion?.parameters,
      bytes: conversion?.outputBytes ?? request.format?.diskSize(at: request.output), seconds: seconds,
      verified: verification?.passed, drift: drift, columns: columns,
      notes: Self.nonEmpty((conversion?.notes ?? []) + warnings), warnings: Self.nonEmpty(warnings),
      verifiedExport: verification?.exportIdentity)
  }

  /// `lines`, or nil when there are none (a report line leaves the field out).
  private static func nonEmpty(_ lines: [String]) -> [String]? { lines.isEmpty ? nil : lines }

  /// Each output's drift, `logits 0.02, pre_logits 0.01 of the original's largest magnitude`.
  private static func text(_ drift: [String: Double]) -> String {
    drift.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.3g", $0.value) }.joined(separator: ", ")
      + " of the original's largest magnitude"
  }

  /// The child's last line of standard error without the `mixer-convert: error: ` prefix,
  /// passing over its warnings and notes (NaN weights, say), which tell nothing of how it ended.
  private static func lastError(_ text: String) -> String? {
    let prefix = Console.errorPrefix
    let ending = text.split(separator: "\n").last {
      !$0.hasPrefix(Console.warningPrefix) && !$0.hasPrefix(Console.notePrefix)
    }
    return ending.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : String($0) }
  }

  private static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.nonConformingFloatDecodingStrategy = Console.nonFiniteDecoding
    return decoder
  }()

  /// The parts of `convert --json` a batch record needs.
  private struct ChildSummary: Decodable {
    struct Conversion: Decodable {
      let model: String
      let parameters: Int
      let outputBytes: Int
      let notes: [String]?
      let warnings: [String]?
    }
    struct Verification: Decodable {
      struct Output: Decodable {
        let name: String
        let relativeMaxDiff: Double
      }
      let model: String?
      let passed: Bool
      let outputs: [Output]
      let nonFiniteWeights: [String]?
      let exportIdentity: FileIdentity?
    }
    /// nil when the export failed its verification, and was not written.
    let conversion: Conversion?
    let verification: Verification?
  }
}

/// Runs a child process to its end, collecting its standard output and error.
enum ChildProcess {
  /// Names, in a child's environment, the process that started it: the child ends with it.
  static let parentVariable = "MIXER_CONVERT_PARENT_PID"

  /// In a child ``run`` started: asks for SIGTERM when the parent ends, however it ends (a
  /// scheduler's SIGTERM to convert-all alone, kill -9), so no conversion outlives its batch;
  /// the signal removes the child's temporaries like any interrupt, and so does every signal
  /// after the first. Ends at once when the parent is already gone. The variable is removed, so the child's own children (the HDF5
  /// reader) do not take it for theirs.
  static func endWithParent() {
    guard let value = getenv(parentVariable), let parent = Int32(String(cString: value)) else { return }
    unsetenv(parentVariable)
    // The batch decides when to give up; its child always removes what it was writing.
    Interruption.repeatedSignalsWaitForCleanup()
    if csupport_end_with_parent(parent) == 1 { Foundation.exit(128 + SIGTERM) }
  }

  /// How a child ended and what it printed.
  struct Result {
    /// Its exit status, or the signal that ended it.
    let status: Int32
    let signaled: Bool
    let output: Data
    let error: String

    /// The signal that stopped it: the one that ended it, or N for the status 128 + N a child
    /// gives when it ends on signal N after removing its temporaries.
    var signal: Int32? { signaled ? status : status > 128 && status < 160 ? status - 128 : nil }

    /// `ended with status 3`, or `was stopped by signal 9 (Killed)` (for any ``signal``).
    var ending: String {
      guard let signal, let name = strsignal(signal) else { return "ended with status \(status)" }
      return "was stopped by signal \(signal) (\(String(cString: name)))"
    }
  }

  /// The children running now.
  private static let running = RunningChildren()

  /// Passes `signal` on to every child running now and to any started later, which stop as
  /// they would on their own (removing their temporaries). Each child has a process group of
  /// its own (Foundation's `Process` makes one), so a terminal's Ctrl-C, like a scheduler's
  /// SIGTERM (Kubernetes'), reaches the batch alone.
  static func forward(_ signal: Int32) { running.signalAll(signal) }

  /// Runs `executable` with `arguments`, and `environment` added to this process's, to its end.
  static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    var childEnvironment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    childEnvironment[parentVariable] = String(getpid())
    process.environment = childEnvironment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let identifier = process.processIdentifier
    running.insert(identifier)
    defer { running.remove(identifier) }
    let collected = Collected()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { collected.output = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { collected.error = errors.fileHandleForReading.readDataToEndOfFile() }
    process.waitUntilExit()
    group.wait()
    return Result(
      status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
      output: collected.output, error: String(decoding: collected.error, as: UTF8.self))
  }

  /// The process identifiers of the running children, and the signal passed on to them.
  private final class RunningChildren: @unchecked Sendable {
    private let lock = NSLock()
    private var identifiers: Set<Int32> = []
    private var forwarded: Int32?

    func insert(_ identifier: Int32) {
      lock.withLock {
        identifiers.insert(identifier)
        if let forwarded { kill(identifier, forwarded) }
      }
    }

    func remove(_ identifier: Int32) { _ = lock.withLock { identifiers.remove(identifier) } }

    func signalAll(_ signal: Int32) {
      lock.withLock {
        forwarded = signal
        for identifier in identifiers { kill(identifier, signal) }
      }
    }
  }

  private final class Collected: @unchecked Sendable {
    var output = Data()
    var error = Data()
  }
}
