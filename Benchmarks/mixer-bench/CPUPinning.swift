import CBenchSupport
import Foundation

/// Runs `body` with the calling thread allowed on `cpu` only (threads it starts inherit that),
/// then gives the thread back the CPUs it had.
func onCPU<R>(_ cpu: Int, _ body: () throws -> R) throws -> R {
  let size = Int(bench_cpu_set_size())
  let saved = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
  defer { saved.deallocate() }
  guard bench_pin_thread(Int32(cpu), saved, UInt(size)) == 0 else {
    throw BenchError("cannot run on CPU \(cpu): \(String(cString: strerror(errno)))")
  }
  let result = Result { try body() }
  guard bench_restore_thread(saved, UInt(size)) == 0 else {
    throw BenchError("cannot give this thread back its CPUs: \(String(cString: strerror(errno)))")
  }
  return try result.get()
}
