import Foundation

/// The result of running the `mixer-convert` executable.
public struct CommandResult: Sendable {
  public let status: Int32
  public let standardOutput: String
  public let standardError: String
}

/// Runs the `mixer-convert` executable built beside the test bundle.
public enum CommandRunner {
  /// The executable: same build folder as the running tests.
  public static let executable: String = {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
    var folder = testBinary.deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("mixer-convert").path),
      folder.path != "/"
    {
      folder = folder.deletingLastPathComponent()
    }
    return folder.appendingPathComponent("mixer-convert").path
  }()

  /// Runs the command with `arguments` and waits for it.
  public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
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
    return CommandResult(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                         standardError: String(decoding: errData, as: UTF8.self))
  }
}
