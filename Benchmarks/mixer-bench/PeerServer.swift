import Foundation

/// A peer runtime kept loaded in its own process (Benchmarks/peers.py), timing one run of its
/// batch whenever asked, so its runs can be interleaved one by one with mixer-convert's.
///
/// The process answers each request with a line `seconds S`; other lines on its output (a
/// runtime's own messages) are skipped.
final class PeerServer {
  let name: String
  private let process = Process()
  private let requests = Pipe()
  private let replies = Pipe()
  private var pending = Data()
  private var closed = false

  /// Starts `peer` on `onnx` (on CPU `cpu` only, when given) and waits until it has loaded the
  /// model and run it once.
  init(_ peer: String, onnx: String, threads: Int, batch: Int, size: Int, cpu: Int?, python: String) throws {
    name = peer
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("peers.py").path
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      [python, script, peer, onnx, "--threads", "\(threads)", "--batch", "\(batch)", "--size", "\(size)"]
      + (cpu.map { ["--cpu", "\($0)"] } ?? [])
    process.standardInput = requests
    process.standardOutput = replies
    do {
      try process.run()
    } catch {
      closed = true
      throw BenchError("\(peer): cannot start \(python): \(error)")
    }
    while try readLine() != "ready" {}
  }

  deinit { close() }

  /// Seconds one run of the batch took.
  func time() throws -> Double {
    try requests.fileHandleForWriting.write(contentsOf: Data("run\n".utf8))
    while true {
      let line = try readLine()
      if line.hasPrefix("seconds "), let seconds = Double(line.dropFirst("seconds ".count)) { return seconds }
    }
  }

  /// Ends the process (it exits at the end of its input) and waits for it.
  func close() {
    guard !closed else { return }
    closed = true
    try? requests.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  /// The next line of the process's output; at its end, an error with its exit status.
  private func readLine() throws -> String {
    while true {
      if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
        pending = Data(pending[pending.index(after: end)...])
        return line
      }
      // read(2) itself: FileHandle's read(upToCount:) waits for the whole count on a pipe.
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = chunk.withUnsafeMutableBytes {
        read(replies.fileHandleForReading.fileDescriptor, $0.baseAddress, $0.count)
      }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else {
        let reason = count < 0 ? String(cString: strerror(errno)) : nil
        close()
        throw BenchError(
          "\(name) " + (reason.map { "could not be read: \($0)" } ?? "ended with status \(process.terminationStatus)")
            + " (its messages are above; is it installed for the benchmark's Python? make venv)")
      }
      pending.append(contentsOf: chunk[0..<count])
    }
  }
}
