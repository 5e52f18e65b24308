import Checkpoint
import Foundation
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
    ("1e999999999", "JSON number 1e999999999 is out of range"),
    (
      "[-" + String(repeating: "9", count: 400) + "]",
      "JSON number -" + String(repeating: "9", count: 23) + "… is out of range"
    ),
  ])
  func refusesMalformedOrAmbiguousJSON(text: String, fragment: String) {
    #expect { try parse(text) } throws: { ($0 as? FormatViolation)?.reason.contains(fragment) == true }
  }

  /// A graph.json is read whole: past 16 MiB it is refused before it is parsed.
  @Test func aDocumentOverTheCapIsRefusedBeforeParsing() throws {
    let oversized = Data(repeating: UInt8(ascii: " "), count: (16 << 20) + 1)
    #expect { try JSONDocument.decode([String: Int].self, from: oversized, path: "g.json") } throws: {
      ($0 as? ExportFileError)?.description == "g.json: is larger than 16 MiB"
    }
    #expect(try JSONDocument.decode([String: Int].self, from: Data(#"{"a": 1}"#.utf8), path: "g.json") == ["a": 1])
  }
}
