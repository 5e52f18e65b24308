import Foundation

/// Runs a command and returns its wall time and peak resident memory (from `wait4`).
func measureProcess(_ arguments: [String]) throws -> (seconds: Double, peakKilobytes: Int) {
  var pid: pid_t = 0
  var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
  defer { for pointer in argv { free(pointer) } }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  let start = DispatchTime.now().uptimeNanoseconds
  guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else {
    throw BenchError("cannot start \(arguments[0])")
  }
  var status: Int32 = 0
  var usage = rusage()
  _ = wait4(pid, &status, 0, &usage)
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  guard status == 0 else { throw BenchError("\(arguments.joined(separator: " ")) exited with status \(status)") }
  return (seconds, Int(usage.ru_maxrss))
}
