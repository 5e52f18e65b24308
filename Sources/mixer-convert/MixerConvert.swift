import ArgumentParser
import CSupport
import FileIO
import Foundation

/// The `mixer-convert` command.
///
/// Exit status: 0 on success, 1 when `verify` finds drift beyond tolerance, 2 for bad input
/// (a broken or hostile file, a wrong option, an output that exists without `--force`).
@main
struct MixerConvert: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mixer-convert",
    abstract: "Convert MLP-Mixer and ViT checkpoints (.npz) to portable bundles, and prove parity.",
    discussion: """
      Reads the .npz checkpoints of google-research/vision_transformer (MLP-Mixer, ViT and \
      the ResNet hybrids). Exit status: 0 success, 1 verification drift, 2 bad input or usage.
      """,
    version: "0.1.0",
    subcommands: [Convert.self, Verify.self, Run.self, Classify.self, Inspect.self, Synth.self, Info.self,
                  HDF5ReaderCommand.self],
    defaultSubcommand: Convert.self)

  static func main() {
    // Large buffers (a tensor, a 4 MiB read chunk) come and go all the time. glibc raises its
    // mmap threshold after such frees and then serves them from the heap, where libhdf5's small
    // long-lived allocations pin them: an HDF5 conversion of ViT-B/16 peaked at 200 MiB that
    // way. A fixed 1 MiB threshold returns them to the system (52 MiB).
    csupport_fix_mmap_threshold(1 << 20)
    refuseInvalidUTF8Arguments()
    var command: ParsableCommand
    do {
      command = try parseAsRoot()
    } catch {
      // Help and version requests exit 0; every usage error exits 2.
      let message = fullMessage(for: error)
      if exitCode(for: error) == .success {
        print(message)
        Foundation.exit(0)
      }
      Console.standardError(message)
      Foundation.exit(2)
    }
    do {
      try command.run()
    } catch let failure as CommandFailure {
      Console.error(failure.message)
      Foundation.exit(failure.status)
    } catch let exit as ExitCode {
      Foundation.exit(exit.rawValue)
    } catch let interrupted as Interrupted {
      Foundation.exit(interrupted.exitStatus)
    } catch where exitCode(for: error) == .success {
      // `--help` parses into a help command whose run() "fails" successfully.
      print(fullMessage(for: error))
      Foundation.exit(0)
    } catch let invalid as ValidationError {
      Console.error(invalid.message)
      Foundation.exit(2)
    } catch {
      Console.error("\(error)")
      Foundation.exit(2)
    }
  }
}

extension MixerConvert {
  /// Exits with status 2 when an argument is not valid UTF-8. Swift would read it with
  /// replacement characters, so two different file names could become the same path; the
  /// paths mixer-convert writes and records are UTF-8.
  static func refuseInvalidUTF8Arguments() {
    for index in 1..<Int(CommandLine.argc) {
      guard let pointer = CommandLine.unsafeArgv[index], String(validatingCString: pointer) == nil else { continue }
      let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
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
