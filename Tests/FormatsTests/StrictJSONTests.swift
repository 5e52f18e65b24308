import Checkpoint
import Testing

@testable import Formats

@Suite struct StrictJSONTests {
  private func parse(_ text: String) throws -> JSONValue { try StrictJSON.parse(Array(text.utf8)) }

  @Test func parsesDocuments() throws {
    let value = try parse(#" {"a": [1, -2.5e3, true, null, "x\u00e9\n"], "b": {}} "#)
    #expect(
      value["a"] == .array([.number(1, integer: 1), .number(-2500, integer: nil), .bool(true), .null, .string("xé\n")]))
    #expect(value["b"] == .object([]))
    #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
  }

  @Test(arguments: [
    (#"{"a": 1, "a": 2}"#, "twice"), (#"{"a": 1,}"#, "not a string"), ("[1, 2", "ends early"), ("01", "leading zero"),
    (#""\ud800""#, "lone surrogate"), ("{} x", "text after"), ("\"a\u{01}\"", "control character"),
    ("tru", "unexpected"),
    (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nests deeper"),
  ])
  func refusesMalformedOrAmbiguousJSON(text: String, fragment: String) {
    #expect { try parse(text) } throws: { ($0 as? FormatViolation)?.reason.contains(fragment) == true }
  }
}
