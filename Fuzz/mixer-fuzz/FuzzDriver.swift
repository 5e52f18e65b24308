import Foundation
import FuzzTargets

/// `mixer-fuzz`: runs one of the ``FuzzTargets``.
///
///     mixer-fuzz TARGET --child MIXER_CONVERT --bundle-template DIR [ARGS...]
///     mixer-fuzz --list
///
/// Built for fuzzing (`make fuzz`: `-sanitize=fuzzer,address` and `-DFUZZING`), ARGS go to
/// libFuzzer (corpus folders, `-max_total_time=N`, …). Built normally, ARGS are files or folders
/// whose files each run once through the target: a replay of corpora and crash regressions.
@main
enum FuzzDriver {
  /// The target libFuzzer's callback runs (set once, before the fuzzer starts).
  nonisolated(unsafe) static var selected: FuzzTarget?

  static func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments == ["--list"] {
      for target in FuzzTargets.all(FuzzEnvironment(childExecutable: "", bundleTemplate: "")) { print(target.name) }
      return
    }
    func option(_ name: String) -> String {
      guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { fail("missing \(name)") }
      defer { arguments.removeSubrange(index...(index + 1)) }
      return arguments[index + 1]
    }
    let environment = FuzzEnvironment(childExecutable: option("--child"), bundleTemplate: option("--bundle-template"))
    let targets = FuzzTargets.all(environment)
    guard let name = arguments.first else { fail("give a target: " + targets.map(\.name).joined(separator: ", ")) }
    guard let target = targets.first(where: { $0.name == name }) else { fail("unknown target '\(name)'") }
    arguments.removeFirst()
    #if FUZZING
    exit(fuzz(target, arguments))
    #else
    replay(target, arguments)
    #endif
  }

  static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("mixer-fuzz: \(message)\n".utf8))
    exit(2)
  }

  #if FUZZING
  @_silgen_name("LLVMFuzzerRunDriver")
  static func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32

  /// Hands `arguments` to libFuzzer, which calls the target with every input it tries.
  static func fuzz(_ target: FuzzTarget, _ arguments: [String]) -> Int32 {
    selected = target
    var argc = Int32(arguments.count + 1)
    var pointers: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
    return pointers.withUnsafeMutableBufferPointer { buffer in
      var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
      return runDriver(&argc, &argv) { data, size in
        FuzzDriver.selected!.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
      }
    }
  }
  #else
  /// Runs every file named in `paths` (files of a folder in name order) through the target.
  static func replay(_ target: FuzzTarget, _ paths: [String]) {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        fail("\(path) does not exist")
      }
      if isDirectory.boolValue {
        files += ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
      } else {
        files.append(path)
      }
    }
    for file in files {
      guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
      data.withUnsafeBytes { target.run($0) }
    }
    print("\(target.name): \(files.count) inputs replayed")
  }
  #endif
}
