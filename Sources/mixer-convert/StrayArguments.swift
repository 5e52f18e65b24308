import ArgumentParser
import Foundation

/// Words argument-parser would misread: a command's name after options, and a word that
/// starts with `-` where mixer-convert has no short option but `-h`.
extension MixerConvert {
  /// Exits with status 2 when options come before a command's name (`--json verify A B`):
  /// the default `convert` would take the command's name for its checkpoint. With `-h` or
  /// `--help` among them, prints that command's help instead (`--help verify`).
  static func refuseOptionsBeforeCommand() {
    let arguments = argumentsBeforeSeparator
    guard let first = arguments.first, first.hasPrefix("-"),
      let command = arguments.first(where: { !$0.hasPrefix("-") }),
      let type = userCommands.first(where: { $0._commandName == command }),
      !FileManager.default.fileExists(atPath: command)
    else { return }
    if arguments.contains(where: { $0 == "-h" || $0 == "--help" }) {
      print(helpMessage(for: type))
      exitAfterStandardOutput(0)
    }
    fail("'\(command)' is a command: put it first, before its options (mixer-convert \(command) \(first) …)", status: 2)
  }

  /// Exits with status 2 at the first argument before `--` that starts with a single `-` and
  /// is neither `-h` nor a negative number (`-2`, `-1e-3`, `--shard`'s `-1/2`: their options
  /// give their own messages), unless the arguments ask for help in so many words.
  /// mixer-convert has no other short option, and argument-parser would read `-zh.npz` as
  /// short flags, one of them -h, and print the help with status 0.
  static func refuseStrayShortOption() {
    let arguments = argumentsBeforeSeparator
    guard !arguments.contains(where: { ["-h", "--help", "help"].contains($0) }),
      let index = arguments.firstIndex(where: {
        $0.count > 1 && $0.hasPrefix("-") && !$0.hasPrefix("--") && !isNegativeNumber($0)
      })
    else { return }
    let stray = arguments[index]
    // After an option that takes a value, the word may have been meant as its value.
    let option = index > 0 ? arguments[index - 1] : ""
    fail(
      "'\(stray)' is not an option (the only short one is -h); a path that starts with '-' goes after '--', "
        + "as in: mixer-convert [command] [options] -- \(stray)"
        + (valueOptions.contains(option) ? "; a value that starts with '-' is written \(option)=\(stray)" : ""),
      status: 2)
  }

  /// The arguments before `--` (after it, every word is a positional one).
  private static var argumentsBeforeSeparator: [String] {
    Array(CommandLine.arguments.dropFirst().prefix { $0 != "--" })
  }

  /// Whether `word` is a minus sign and a number in ASCII digits: a decimal (`-2`, `-0.5`,
  /// `-1e-3`) or a shard (`-1/2`).
  private static func isNegativeNumber(_ word: String) -> Bool {
    let magnitude = word.dropFirst()
    guard let lead = magnitude.first, lead.isASCII, lead.isNumber || lead == "." else { return false }
    let parts = magnitude.split(separator: "/", omittingEmptySubsequences: false)
    return Double(word) != nil || (parts.count == 2 && parts.allSatisfy { Int($0) != nil })
  }

  /// The long options that take a value, in any command: argument-parser's own description
  /// of the commands (the JSON of `--experimental-dump-help`).
  private static var valueOptions: Set<String> {
    struct Description: Decodable { let command: Command }
    struct Command: Decodable {
      let arguments: [Argument]?
      let subcommands: [Command]?
    }
    struct Argument: Decodable {
      let kind: String
      let names: [Name]?
    }
    struct Name: Decodable {
      let kind: String
      let name: String
    }
    func options(_ command: Command) -> [String] {
      (command.arguments ?? []).filter { $0.kind == "option" }.flatMap { $0.names ?? [] }
        .filter { $0.kind == "long" }.map { "--" + $0.name }
        + (command.subcommands ?? []).flatMap(options)
    }
    let description = try? JSONDecoder().decode(Description.self, from: Data(_dumpHelp().utf8))
    return Set(description.map { options($0.command) } ?? [])
  }
}
