import Foundation
import TestSupport
import Testing

@Suite struct InfoCommandTests {
  private func report(
    _ arguments: [String], prefix: [String] = [], environment: [String: String] = [:]
  ) throws
    -> [String: Any]
  {
    let process = Process()
    if prefix.isEmpty {
      process.executableURL = URL(fileURLWithPath: try CommandRunner.executable())
      process.arguments = arguments + ["--json"]
    } else {
      process.executableURL = URL(fileURLWithPath: prefix[0])
      process.arguments = Array(prefix.dropFirst()) + [try CommandRunner.executable()] + arguments + ["--json"]
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(prefix) \(arguments) exited with \(process.terminationStatus)")
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  private func selected(_ report: [String: Any]) -> String? {
    (report["kernels"] as! [[String: Any]]).first { $0["selected"] as? Bool == true }?["name"] as? String
  }

  private func checksPassed(_ report: [String: Any]) -> [String] {
    (report["checks"] as! [[String: Any]]).filter { $0["passed"] as? Bool == true }.map { $0["path"] as! String }
  }

  @Test func everySupportedPathPassesItsCheck() throws {
    let info = try report(["info", "--check"])
    let supported = (info["kernels"] as! [[String: Any]]).filter { $0["supported"] as? Bool == true }.map {
      $0["name"] as! String
    }
    #expect(checksPassed(info) == supported)
    #expect(supported.contains("portable"))
  }

  @Test func textLinesEndWithoutSpaces() throws {
    for arguments in [["info"], ["info", "--check"]] {
      let text = try CommandRunner.run(arguments)
      let lines = text.standardOutput.split(separator: "\n")
      #expect(text.status == 0 && lines.count >= 4 && !lines.contains { $0.hasSuffix(" ") }, "\(text.standardOutput)")
    }
  }

  @Test func environmentForcesASlowerPathButNotAnUnsupportedOne() throws {
    #expect(selected(try report(["info"], environment: ["MIXER_CONVERT_KERNELS": "portable"])) == "portable")
    let ignored = try report(["info"], environment: ["MIXER_CONVERT_KERNELS": "bogus"])
    #expect(selected(ignored) == selected(try report(["info"])))
    // --json says whether the setting took effect, and is silent when it is not set.
    let request = { (report: [String: Any]) in
      (report["kernel_request"] as? [String: Any]).map { ($0["value"] as? String, $0["ignored"] as? Bool) }
    }
    #expect(try #require(request(ignored)) == ("bogus", true))
    let honoured = try report(["info"], environment: ["MIXER_CONVERT_KERNELS": "portable"])
    #expect(try #require(request(honoured)) == ("portable", false))
    if ProcessInfo.processInfo.environment["MIXER_CONVERT_KERNELS"] == nil {
      #expect(try report(["info"])["kernel_request"] == nil)
    }
    // The text says whether the setting took effect.
    let portable = try CommandRunner.run(["info"], environment: ["MIXER_CONVERT_KERNELS": "portable"])
    #expect(portable.standardOutput.contains("kernels: portable (MIXER_CONVERT_KERNELS=portable);"))
    let bogus = try CommandRunner.run(["info"], environment: ["MIXER_CONVERT_KERNELS": "bogus"])
    #expect(bogus.standardOutput.contains("(MIXER_CONVERT_KERNELS=bogus, ignored);"), "\(bogus.standardOutput)")
  }

  /// The default thread count is the processors the process may run on: one under
  /// `taskset -c 0`, however many the machine has.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")))
  func threadsFollowTheCPUAffinity() throws {
    #expect(try report(["info"], prefix: ["/usr/bin/taskset", "-c", "0"])["threads"] as? Int == 1)
    let all = try #require(try report(["info"])["threads"] as? Int)
    #expect(all >= 1 && all <= ProcessInfo.processInfo.processorCount)
  }

  /// The memory one run may claim is half of the tightest limit on the process: under
  /// `ulimit -v` that limit, which `info` names, and a verify whose batch would pass it is
  /// refused with exit 2 instead of failing an allocation.
  @Test func theMemoryBudgetFollowsTheAddressSpaceLimit() throws {
    let free = try #require(try report(["info"])["memory"] as? [String: Any])
    #expect((free["budget_bytes"] as? Int ?? 0) > 0)
    let limited = ["/bin/sh", "-c", "ulimit -v 4194304 && exec \"$0\" \"$@\""]
    let memory = try #require(try report(["info"], prefix: limited)["memory"] as? [String: Any])
    #expect(memory["bound"] as? String == "address_space" && memory["budget_bytes"] as? Int == 1 << 31)
    let text = try CommandRunner.run(["info"], prefix: limited)
    #expect(text.standardOutput.contains("memory: 2.0 GiB for one run (half of this process's address-space limit"))
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let verify = try CommandRunner.run(
      ["verify", Fixtures.path("mixer_tiny"), dir.file("b"), "--batch", "30000"], prefix: limited)
    #expect(verify.refused("more than the 2.0 GiB allowed (half of this process's address-space limit"))
    // A JSON document is parsed only when what parsing it may take fits the budget too.
    let padded = FileHandle(forWritingAtPath: dir.file("b/graph.json"))!
    padded.seekToEndOfFile()
    padded.write(Data(repeating: UInt8(ascii: " "), count: 14_000_000))
    try padded.close()
    #expect(try CommandRunner.run(["inspect", dir.file("b")]).status == 0)
    let small = ["/bin/sh", "-c", "ulimit -v 1048576 && exec \"$0\" \"$@\""]
    #expect(
      try CommandRunner.run(["inspect", dir.file("b")], prefix: small)
        .refused("graph.json: JSON of 14"), "\(dir.file("b"))")
  }

  #if arch(x86_64)
  /// On an emulated CPU without AVX the binary must pick the portable kernels and run them
  /// (no illegal instruction); on an AVX2-only CPU it must pick AVX2. Neither has the SHA
  /// extensions: a bundle converted there (its SHA-256s in plain C) must pass a verify on this
  /// CPU, whose SHA-256 takes the accelerated path where it has one. `make test` installs qemu-user.
  @Test(arguments: [("Nehalem", "portable"), ("Haswell", "avx2")])
  func olderCPUsGetTheirOwnPath(cpu: String, path: String) throws {
    let qemu = try #require(
      ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].first {
        FileManager.default.isExecutableFile(atPath: $0)
      }, "qemu-x86_64 not found: install qemu-user (make test does)")
    // Even when the environment asks for AVX-512, an unsupported path is never used.
    let info = try report(
      ["info", "--check"], prefix: [qemu, "-cpu", cpu], environment: ["MIXER_CONVERT_KERNELS": "avx512"])
    #expect(selected(info) == path)
    #expect(checksPassed(info).contains(path))
    #expect(!checksPassed(info).contains("avx512"))

    let dir = TemporaryDirectory()
    let checkpoint = Fixtures.path("mixer_tiny")
    let converted = try CommandRunner.run([checkpoint, dir.file("out"), "--quiet"], prefix: [qemu, "-cpu", cpu])
    #expect(converted.status == 0, "\(converted.standardError)")
    let verified = try CommandRunner.run(["verify", checkpoint, dir.file("out"), "--quiet"])
    #expect(verified.status == 0, "\(verified.standardError)")
  }
  #endif
}
