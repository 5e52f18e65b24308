import ArgumentParser
import CSupport
import FileIO
import Foundation
import Kernels
import Runtime

/// The `mixer-convert` command.
///
/// Exit status: 0 on success, 1 when `verify` finds drift beyond tolerance, 2 for bad input
/// (a broken or hostile file, a wrong option, an output that exists without `--force`).
@main
struct MixerConvert: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mixer-convert",
    abstract: "Convert MLP-Mixer and ViT checkpoints (.npz) to bundles, HDF5 and ONNX, and prove parity.",
    discussion: """
      Reads the .npz checkpoints of google-research/vision_transformer (MLP-Mixer, ViT and \
      the ResNet hybrids) and writes a bundle folder, an HDF5 file, an ONNX model, or a \
      folder timm or transformers loads. Exit status: 0 success, 1 verification drift, 2 bad \
      input or usage. With --json, an error is also printed as {"error": …} on standard output.

      Examples:
        mixer-convert Mixer-B_16.npz mixer-b16/ --verify
        mixer-convert ViT-B_16.npz vit-b16.onnx
        mixer-convert convert-all checkpoints/ --out-dir exports/ --jobs 2
        mixer-convert classify vit-b16.onnx elephant.jpg
        mixer-convert <subcommand> --help
      """,
    version: "0.1.0",
    subcommands: [
      Convert.self, ConvertAll.self, Verify.self, Run.self, Classify.self, Inspect.self, Synth.self, Info.self,
      HDF5ReaderCommand.self,
    ],
    defaultSubcommand: Convert.self)

  static func main() {
    // Before anything opens a file: a closed standard descriptor would make the next file opened
    // standard output or error, and messages would land in it.
    csupport_open_standard_descriptors()
    // A mapped export truncated by another program while it is read is an error naming it.
    _ = csupport_report_bus_errors(Console.errorPrefix)
    applyAddressSpaceLimit()
    ChildProcess.endWithParent()
    // Files kept rather than deleted beside an output (see OutputNotices) are the user's to know of.
    OutputNotices.shared.deliver { Console.warning($0) }
    refuseInvalidUTF8Arguments()
    refuseEmptyArguments()
    refuseMistypedCommand()
    refuseHelpOnUnknownCommand()
    refuseOptionsBeforeCommand()
    refuseStrayShortOption()
    var command: ParsableCommand
    do {
      command = try parseAsRoot()
    } catch {
      // Help and version requests exit 0; every usage error is one line and exits 2.
      if exitCode(for: error) == .success {
        print(fullMessage(for: error))
        exitAfterStandardOutput(0)
      }
      fail(UsageErrorText.line(message(for: error), arguments: Array(CommandLine.arguments.dropFirst())), status: 2)
    }
    if command is Run || command is Verify || command is Classify {
      // A forward pass frees and allocates the same tensors layer after layer and run after
      // run; kept for reuse, their pages are not faulted in and zeroed again each time (about
      // 19,000 page faults per ViT-B/16 image otherwise).
      csupport_keep_freed_memory()
    } else {
      // Large buffers (a tensor, a 1 MiB read chunk) come and go all the time. glibc raises
      // its mmap threshold after such frees and then serves them from the heap, where
      // libhdf5's small long-lived allocations pin them: an HDF5 conversion of ViT-B/16 peaked
      // at 200 MiB that way. A fixed 1 MiB threshold returns them to the system (52 MiB).
      csupport_fix_mmap_threshold(1 << 20)
    }
    do {
      try command.run()
    } catch let failure as CommandFailure {
      fail(failure.message, status: failure.status)
    } catch let exit as ExitCode {
      exitAfterStandardOutput(exit.rawValue)
    } catch let interrupted as Interrupted {
      Foundation.exit(interrupted.exitStatus)
    } catch  where exitCode(for: error) == .success {
      // `--help` parses into a help command whose run() "fails" successfully.
      print(fullMessage(for: error))
      exitAfterStandardOutput(0)
    } catch let invalid as ValidationError {
      fail(invalid.message, status: 2)
    } catch {
      fail(ErrorHints.line(for: error), status: 2)
    }
    exitAfterStandardOutput(0)
  }

  /// Exits with `status` once standard output is flushed, or with status 2 and an error when
  /// it could not be written whole (a full disk under `> report.json`): a result lost on the
  /// way out is a failure, not a success.
  static func exitAfterStandardOutput(_ status: Int32) -> Never {
    let error = csupport_flush_standard_output()
    guard error == 0 else {
      let cause = error > 0 ? String(cString: strerror(error)) : "a write failed"
      Console.error("standard output: cannot write the result (\(cause))")
      Foundation.exit(2)
    }
    Foundation.exit(status)
  }

  /// Reports an error — one line on standard error, and with `--json` also `{"error": …}` on
  /// standard output unless the command printed its JSON report already — and exits.
  static func fail(_ message: String, status: Int32) -> Never {
    let line = Console.oneLine(message)
    Console.error(line)
    if CommandLine.arguments.dropFirst().contains("--json"), !Console.printedJSON {
      struct ErrorReport: Encodable { let error: String }
      // JSON escapes control characters itself: the message goes in as it is, escaped once.
      try? Console.printJSON(ErrorReport(error: message))
    }
    Foundation.exit(status)
  }
}

/// argument-parser's messages as one line, with the cause spelled out where its wording misleads.
enum UsageErrorText {
  static func line(_ message: String, arguments: [String]) -> String {
    // A negative number after an option reads as another option: "Missing value for '--top <top>'".
    if message.hasPrefix("Missing value for '"),
      let option = message.split(separator: "'").dropFirst().first?
        .split(separator: " ").first,
      let index = arguments.firstIndex(of: String(option)), index + 1 < arguments.count,
      arguments[index + 1].hasPrefix("-"), arguments[index + 1].dropFirst().first?.isNumber == true
    {
      let value = arguments[index + 1]
      if Double(value) == 0 {
        return "\(option) \(value): write zero without its sign (a value after - reads as an option)"
      }
      return "\(option) \(value): negative values are not accepted"
    }
    // A whole number too large for the option's type reads as invalid, as if it were no number.
    let parts = message.split(separator: "'", omittingEmptySubsequences: false)
    if message.hasPrefix("The value '"), parts.count >= 4, let value = parts.dropFirst().first,
      !value.isEmpty, value.allSatisfy(\.isASCII) && value.allSatisfy(\.isNumber), Int(value) == nil,
      let option = parts[3].split(separator: " ").first
    {
      return "\(option) \(value): too large a number"
    }
    let line = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    // A command run bare (`mixer-convert`, `mixer-convert convert-all`) is told where the usage is.
    guard line.hasPrefix("Missing expected argument") else { return line }
    let command = arguments.first.flatMap { Self.commands.contains($0) ? " " + $0 : nil } ?? ""
    return line + " (mixer-convert\(command) --help shows the usage)"
  }

  /// The subcommands' names.
  private static let commands = MixerConvert.configuration.subcommands.compactMap { $0.configuration.commandName }
}

extension MixerConvert {
  /// Exits with status 2, suggesting the command, when the first argument is no file but one
  /// or two letters away from a command's name (`inspct`): otherwise it would be taken for
  /// the checkpoint of the default `convert`.
  static func refuseMistypedCommand() {
    guard let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"), !first.contains("/"),
      !first.contains("."), !FileManager.default.fileExists(atPath: first)
    else { return }
    let names = commandNames
    guard !names.contains(first),
      let nearest = names.min(by: { editDistance(first, $0) < editDistance(first, $1) }),
      editDistance(first, nearest) <= 2
    else { return }
    fail("'\(first)' is not a command (nor a file); did you mean '\(nearest)'?", status: 2)
  }

  /// `help nosuch` would print the overview and exit 0, which a script takes for success.
  static func refuseHelpOnUnknownCommand() {
    let arguments = CommandLine.arguments.dropFirst()
    guard arguments.first == "help", let topic = arguments.dropFirst().first, !topic.hasPrefix("-"),
      !commandNames.contains(topic)
    else { return }
    fail("'\(topic)' is not a command; the commands are \(commandNames.joined(separator: ", "))", status: 2)
  }

  /// The commands a user types (the internal HDF5 reader is not one).
  static var userCommands: [ParsableCommand.Type] {
    configuration.subcommands.filter { $0 != HDF5ReaderCommand.self }
  }

  /// Their names.
  static var commandNames: [String] { userCommands.map { $0._commandName } }

  /// Levenshtein distance between two short words.
  private static func editDistance(_ a: String, _ b: String) -> Int {
    let (a, b) = (Array(a), Array(b))
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1]
      for (j, y) in b.enumerated() {
        current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
      }
      previous = current
    }
    return previous[b.count]
  }

  /// The least address space (`ulimit -v`) the program runs in: below it, threads cannot be
  /// started and work queued for them waits for ever (a 100 MB limit hung a conversion of the
  /// smallest fixture, which ran at 117 MiB).
  static let minimumAddressSpace = 256 << 20

  /// Under an address-space limit: exits with status 2 when it is below
  /// ``minimumAddressSpace``, and else, when the limit is under 2 GiB per processor, caps
  /// malloc's arenas at two: each reserves 64 MiB of it, glibc allows eight per core, and a
  /// verify of Mixer-B/16 failed an allocation at 1.2 GB with them and passed with two.
  static func applyAddressSpaceLimit() {
    guard let limit = MemoryBudget.addressSpaceLimit() else { return }
    guard limit >= minimumAddressSpace else {
      fail(
        "this process may use \(MemoryBudget.amount(limit)) of address space (ulimit -v), and mixer-convert needs "
          + "at least \(MemoryBudget.amount(minimumAddressSpace))", status: 2)
    }
    if limit < Compute.availableProcessors << 31 { csupport_limit_malloc_arenas(2) }
  }

  /// Exits with status 2 when an argument is empty (most often an unset shell variable in
  /// quotes): an empty output path would otherwise be taken for the current folder.
  static func refuseEmptyArguments() {
    guard let index = CommandLine.arguments.indices.dropFirst().first(where: { CommandLine.arguments[$0].isEmpty })
    else { return }
    fail("argument \(index) is empty (an unset shell variable?): give a path or a value", status: 2)
  }

  /// Exits with status 2 when an argument is not valid UTF-8. Swift would read it with
  /// replacement characters, so two different file names could become the same path; the
  /// paths mixer-convert writes and records are UTF-8.
  static func refuseInvalidUTF8Arguments() {
    for index in 1..<Int(CommandLine.argc) {
      guard let pointer = CommandLine.unsafeArgv[index], String(validatingCString: pointer) == nil else { continue }
      let bytes = UnsafeBufferPointer(
        start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
        count: strlen(pointer))
      let shown = bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
      Console.error("argument \(index) (\(shown)) is not valid UTF-8: mixer-convert takes UTF-8 paths")
      Foundation.exit(2)
    }
  }
}

/// A failure that carries its own exit status (drift is 1, everything else 2).
struct CommandFailure: Error {
  let message: String
  let status: Int32
}
