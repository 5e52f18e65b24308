import Foundation

/// The result of running the `mixer-convert` executable.
public struct CommandResult: Sendable {
  public let status: Int32
  public let standardOutput: String
  public let standardError: String
  /// Whether a signal ended the process (`status` is then the signal's number).
  public let signaled: Bool
}

/// The `mixer-convert` executable is not where the tests look for it.
public struct MissingExecutable: Error, CustomStringConvertible {
  public let description: String
}

/// Runs the `mixer-convert` executable built beside the test bundle.
public enum CommandRunner {
  /// The executable: `mixer-convert` in the folder of the running test binary or the nearest
  /// folder above it that has one (the build folder).
  ///
  /// - Throws: ``MissingExecutable`` when there is none (build it first:
  ///   `swift test` builds it beside the tests, as `make test` does).
  public static func executable() throws -> String {
    if let found = located { return found }
    throw MissingExecutable(
      description: "mixer-convert was not found in \(testBinaryFolder.path) or a folder above it: "
        + "build the tests with swift test (make test-swift), which builds it beside them")
  }

  private static let testBinaryFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

  private static let located: String? = {
    var folder = testBinaryFolder
    while true {
      let candidate = folder.appendingPathComponent("mixer-convert").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      guard folder.path != "/" else { return nil }
      folder.deleteLastPathComponent()
    }
  }()

  /// Runs the command with `arguments` and waits for it.
  ///
  /// - Parameters:
  ///   - prefix: a program and its arguments to run the command through (`strace …`).
  ///   - directory: the folder to run it in (by default this process's).
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], prefix: [String] = [], directory: String? = nil
  )
    throws -> CommandResult
  {
    let process = Process()
    let command = prefix + [try executable()] + arguments
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the process runs so a full pipe cannot block it.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    process.waitUntilExit()
    group.wait()
    return CommandResult(
      status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self),
      signaled: process.terminationReason == .uncaughtSignal)
  }
}
