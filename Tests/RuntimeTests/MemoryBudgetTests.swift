import Testing

@testable import Runtime

struct MemoryBudgetTests {
  @Test func theTightestLimitBindsAndPhysicalMemoryWinsTies() {
    #expect(MemoryBudget.tightest(physical: 100, controlGroup: nil, addressSpace: nil) == (100, .physicalMemory))
    #expect(MemoryBudget.tightest(physical: 100, controlGroup: 60, addressSpace: 80) == (60, .controlGroup))
    #expect(MemoryBudget.tightest(physical: 100, controlGroup: 90, addressSpace: 80) == (80, .addressSpace))
    #expect(MemoryBudget.tightest(physical: 100, controlGroup: 100, addressSpace: nil) == (100, .physicalMemory))
    #expect(
      MemoryBudget.tightest(physical: 100, controlGroup: 60, addressSpace: 80, share: 50) == (50, .jobShare))
    #expect(MemoryBudget.tightest(physical: 100, controlGroup: 60, addressSpace: nil, share: 70) == (60, .controlGroup))
    #expect(MemoryBudget.bytes == MemoryBudget.limit.bytes / 2)
  }

  @Test func amountsReadInTheirUnit() {
    #expect(MemoryBudget.amount(3 << 29) == "1.5 GiB")
    #expect(MemoryBudget.amount(5 << 20) == "5 MiB")
    #expect(MemoryBudget.amount(512 << 10) == "512 KiB")
    #expect(MemoryBudget.amount(1023) == "1023 bytes")
  }

  /// cgroup v2: the limit of the process's group or of any group above it binds; "max" is none.
  @Test func aControlGroupV2LimitIsTheTightestAlongThePath() {
    let files = [
      "/sys/fs/cgroup/kubepods/pod1/container/memory.max": "max\n",
      "/sys/fs/cgroup/kubepods/pod1/memory.max": "8589934592\n",
      "/sys/fs/cgroup/kubepods/memory.max": "4294967296\n",
    ]
    let limit = MemoryBudget.controlGroupLimit(membership: "0::/kubepods/pod1/container\n") { files[$0] }
    #expect(limit == 4_294_967_296, "a parent's limit below its child's binds")
    #expect(MemoryBudget.controlGroupLimit(membership: "0::/\n") { files[$0] } == nil)
    #expect(MemoryBudget.controlGroupLimit(membership: "0::/kubepods/pod1/container\n") { _ in "max" } == nil)
  }

  /// cgroup v1: the memory controller's line, whatever other controllers share it.
  @Test func aControlGroupV1LimitIsReadFromTheMemoryController() {
    let files = [
      "/sys/fs/cgroup/memory/slurm/job7/memory.limit_in_bytes": "3221225472\n",
      "/sys/fs/cgroup/memory/slurm/memory.limit_in_bytes": "2147483648\n",
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      "/sys/fs/cgroup/cpu/slurm/job7/memory.limit_in_bytes": "1\n",
    ]
    let membership = "5:cpu,cpuacct:/slurm/job7\n4:memory:/slurm/job7\n1:name=systemd:/\n"
    #expect(MemoryBudget.controlGroupLimit(membership: membership) { files[$0] } == 2_147_483_648)
    #expect(MemoryBudget.controlGroupLimit(membership: "garbage\n4:memory\n") { files[$0] } == nil)
  }
}
