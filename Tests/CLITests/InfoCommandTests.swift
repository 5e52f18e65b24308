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

  /// `run` checks an input file's batch against the budget from its header, before reading
  /// it: a 3 GiB file (sparse, so it costs no disk) is refused at once under a 4 GiB address
  /// space, where reading it first had trapped on the failed allocation.
  @Test func runRefusesAnInputTooLargeBeforeReadingIt() throws {
    let dir = TemporaryDirectory()
    #expect(try CommandRunner.run([Fixtures.path("mixer_tiny"), dir.file("b"), "--quiet"]).status == 0)
    let images = 65_536
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(images), 64, 64, 3), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count + 1), 0])
    bytes += Data((header + "\n").utf8)
    #expect(FileManager.default.createFile(atPath: dir.file("big.npy"), contents: bytes))
    #expect(truncate(dir.file("big.npy"), off_t(bytes.count + images * 64 * 64 * 3 * 4)) == 0)
    let limited = ["/bin/sh", "-c", "ulimit -v 4194304 && exec \"$0\" \"$@\""]
    let run = try CommandRunner.run(
      ["run", dir.file("b"), "--input", dir.file("big.npy"), "--output", dir.file("o.npy")], prefix: limited)
    #expect(run.refused("a batch of 65536 needs about"), "\(run.standardError)")
    #expect(run.refused("more than the 2.0 GiB allowed (half of this process's address-space limit"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("o.npy")))
  }

  /// convert-all gives each of the N conversions it runs at once 1/N of what it may use:
  /// under a limit of 2 MiB (given as a share, as a parent convert-all would), two checkpoints
  /// verify one at a time and are refused two at a time, each then with 1 MiB; one checkpoint
  /// under --jobs 64 runs alone and gets it all.
  @Test func convertAllDividesItsMemoryAmongItsJobs() throws {
    let share = ["MIXER_CONVERT_MEMORY_SHARE": String(2 << 20)]
    let memory = try #require(try report(["info"], environment: share)["memory"] as? [String: Any])
    #expect(memory["bound"] as? String == "job_share" && memory["budget_bytes"] as? Int == 1 << 20)
    // A value that is no whole number of bytes (a size with a unit) is ignored, and info says so.
    let unit = ["MIXER_CONVERT_MEMORY_SHARE": "8G"]
    let ignored = try #require(try report(["info"], environment: unit)["memory"] as? [String: Any])
    #expect(ignored["bound"] as? String != "job_share" && ignored["share_ignored"] as? String == "8G")
    let text = try CommandRunner.run(["info"], environment: unit)
    #expect(text.standardOutput.contains("; MIXER_CONVERT_MEMORY_SHARE=8G ignored: not a whole number of bytes"))
    let dir = TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir.file("in"), withIntermediateDirectories: false)
    for name in ["a.npz", "b.npz"] {
      try FileManager.default.copyItem(atPath: Fixtures.path("mixer_tiny"), toPath: dir.file("in/" + name))
    }
    func convertAll(_ input: String, jobs: Int, into output: String) throws -> CommandResult {
      try CommandRunner.run(
        ["convert-all", input, "--out-dir", dir.file(output), "--verify", "--jobs", String(jobs), "--quiet"],
        environment: share)
    }
    let oneAtATime = try convertAll(dir.file("in"), jobs: 1, into: "one")
    #expect(oneAtATime.status == 0, "\(oneAtATime.standardError)")
    let twoAtATime = try convertAll(dir.file("in"), jobs: 2, into: "two")
    #expect(
      twoAtATime.status != 0 && twoAtATime.standardError.contains("512 KiB allowed (half of this job's share"),
      "\(twoAtATime.standardError)")
    let alone = try convertAll(dir.file("in/a.npz"), jobs: 64, into: "alone")
    #expect(alone.status == 0, "\(alone.standardError)")
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
