import Foundation
import Testing

@testable import Conversion

/// ``BackgroundResult``: the work runs on another thread, its value (Sendable or not) reaches
/// the caller of `value()`, and so does its error.
@Suite struct BackgroundResultTests {
  /// Not Sendable, as a compiled runner is not.
  final class Box {
    let thread: pthread_t
    init(thread: pthread_t) { self.thread = thread }
  }

  @Test func valueIsMadeOnAnotherThreadAndHandedOver() throws {
    let result = BackgroundResult { Box(thread: pthread_self()) }
    let box = try result.value()
    #expect(pthread_equal(box.thread, pthread_self()) == 0)
    #expect(try result.value() === box)
  }

  @Test func errorReachesTheCaller() {
    struct Failure: Error, Equatable {}
    let result = BackgroundResult { () throws -> Int in throw Failure() }
    #expect(throws: Failure()) { try result.value() }
  }
}
