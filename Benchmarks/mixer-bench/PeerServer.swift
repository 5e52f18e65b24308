import Foundation

/// A peer runtime kept loaded in its own process (Benchmarks/peers.py), timing one run of its
/// batch whenever asked, so its runs can be interleaved one by one with mixer-convert's.
final class PeerServer {
  let name: String
  private let process = Process()
  private let requests = Pipe()
  private let replies = Pipe()
  private var pending = Data()

  /// Starts `peer` on `onnx` (on CPU `cpu` only, when given) and waits until it has loaded the
  /// model and run it once.
  init(_ peer: String, onnx: String, threads: Int, batch: Int, size: Int, cpu: Int?, python: String) throws {
    name = peer
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("peers.py").path
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      python, script, peer, onnx, "--threads", "\(threads)", "--batch", "\(batch)", "--size", "\(size)",
    ] + (cpu.map { ["--cpu", "\($0)"] } ?? [])
    process.standardInput = requests
    process.standardOutput = replies
    try process.run()
    guard try readLine() == "ready" else { throw failure() }
  }

  /// Seconds one run of the batch took.
  func time() throws -> Double {
    try requests.fileHandleForWriting.write(contentsOf: Data("run\n".utf8))
    guard let line = try readLine(), let seconds = Double(line) else { throw failure() }
    return seconds
  }

  /// Ends the process (it exits at the end of its input).
  func close() {
    try? requests.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  private func readLine() throws -> String? {
    while true {
      if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
        pending = Data(pending[pending.index(after: end)...])
        return line
      }
      let more = replies.fileHandleForReading.availableData
      if more.isEmpty { return nil }
      pending.append(more)
    }
  }

  private func failure() -> BenchError {
    BenchError("\(name) failed (is it installed for the benchmark's Python? make venv)")
  }
}
