import CSupport
import Foundation
import Testing

@testable import Kernels

@Suite struct PackedStorageTests {
  /// A packed matrix of a huge page or more starts on a huge page and, where the system offers
  /// transparent huge pages (`madvise` or `always`), the kernel reports its memory eligible for
  /// them (`THPeligible: 1` in /proc/self/smaps, which with the `madvise` setting it is only
  /// when advised); a small one keeps the 64-byte alignment of the micro-kernels' loads.
  @Test func largePackedMatricesLieOnHugePagesAdvisedForThem() throws {
    let compute = Compute(threads: 1)
    let hugePage = UInt(CSUPPORT_HUGE_PAGE_BYTES)
    let big = compute.pack(Tensor(shape: [1024, 1024], repeating: 0.5))
    let small = compute.pack(Tensor(shape: [16, 16], repeating: 0.5))
    let address = UInt(bitPattern: big.storage)
    #expect(address % hugePage == 0)
    #expect(UInt(bitPattern: small.storage) % 64 == 0)
    let setting = try contents(of: "/sys/kernel/mm/transparent_hugepage/enabled")
    guard !setting.contains("[never]") else { return }
    let eligible = try #require(try hugePageEligibility(of: address))
    #expect(eligible, "THP setting: \(setting)")
    withExtendedLifetime((big, small)) {}
  }

  /// The `THPeligible` flag of the mapping that holds `address` in /proc/self/smaps.
  private func hugePageEligibility(of address: UInt) throws -> Bool? {
    let smaps = try contents(of: "/proc/self/smaps")
    var inside = false
    for line in smaps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
      } else if inside, fields.first == "THPeligible:" {
        return fields.last == "1"
      }
    }
    return nil
  }

  /// A kernel-generated file read to its end (they report a size of 0, so it is read, not
  /// sized).
  private func contents(of path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
  }
}
