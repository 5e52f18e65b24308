import Foundation
import Runtime

/// The resource limits (`setrlimit`) of the child process that reads an HDF5 file: a damaged
/// file can make libhdf5 allocate gigabytes or loop, and the limits end the child instead (its
/// parent then reports the file as corrupt in one line).
///
/// Address space: what the process uses when it starts reading, plus 1 GiB, plus the file's
/// size while the metadata and the graph are read; raised by the tensors' size once the graph
/// says what they are (checked against the ``MemoryBudget`` first). CPU time: 5 s plus 1 s
/// per 16 MiB of file, several times what reading even a compressed file takes (SIGXCPU, then
/// SIGKILL 2 s later). No core files.
enum HDF5ReaderLimits {
  static let slack = 1 << 30

  /// Limits for opening a file of `fileSize` bytes and reading its metadata.
  static func beforeOpening(fileSize: Int) {
    // The memory budget stays the parent's: fixed now, before these limits lower this process's.
    _ = MemoryBudget.limit
    setLimit(RLIMIT_CORE, 0)
    // SIGXCPU at the soft limit, which the process may have inherited blocked (a parent thread's
    // mask): unblocked here, and SIGKILL, which nothing blocks, at the hard limit 2 s later.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGXCPU)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    signal(SIGXCPU, SIG_DFL)
    let seconds = 5 + fileSize / (16 << 20)
    setLimit(RLIMIT_CPU, seconds, hard: seconds + 2)
    limitAddressSpace(extra: fileSize)
  }

  /// Raises the address-space limit so that `tensorBytes` of tensors fit.
  static func forTensors(bytes tensorBytes: Int, fileSize: Int) {
    limitAddressSpace(extra: fileSize + tensorBytes)
  }

  private static func limitAddressSpace(extra: Int) {
    guard let used = addressSpaceInUse() else { return }
    setLimit(RLIMIT_AS, used + slack + extra)
  }

  /// Bytes of address space the process has mapped (`/proc/self/statm`), where the system says.
  private static func addressSpaceInUse() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
      let pages = text.split(separator: " ").first.flatMap({ Int($0) })
    else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }

  /// Sets the soft limit of `resource` (and lowers the hard one to `hard`), never above the
  /// hard limit the process has.
  #if os(Linux)
  private static func setLimit(_ resource: __rlimit_resource, _ value: Int, hard: Int? = nil) {
    setLimit(Int32(resource.rawValue), value, hard: hard)
  }
  #endif

  private static func setLimit(_ resource: Int32, _ value: Int, hard: Int? = nil) {
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return }
    if let hard { limit.rlim_max = min(rlim_t(hard), limit.rlim_max) }
    limit.rlim_cur = min(rlim_t(value), limit.rlim_max)
    _ = setrlimit(resource, &limit)
  }
}
