import Foundation
@testable import ShroffSandbox
import Testing

/// The sandbox's hand-written JSON answers say what `JSONSerialization` said of the same objects.
@Suite("Sandbox JSON answers")
struct SandboxJSONTests {
    static func foundation(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    @Test("the same bytes as JSONSerialization with sorted keys and unescaped slashes")
    func sameBytes() throws {
        let objects: [[String: Any]] = [
            [:],
            ["result": ["resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success."]],
            ["b": 1, "a": [1, 2, ["z": "y"]] as [Any], "c": true, "d": false, "e": Int64.min, "f": Int.max],
            ["url": "https://h.example/p?q=1&r=/s", "quote": "a\"b\\c", "controls": "\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}"],
            ["unicode": "é\u{301}😀 中文", "empty": "", "list": [] as [Any], "nested": ["x": [:] as [String: Any]]],
            ["refundAmount": 1, "refund_id": 2, "a9": 3, "a10": 4, "B": 5, "a": 6, "A": 7, "refundId": 8, "_x": 9, "Z1": 10],
        ]
        for object in objects {
            #expect(SandboxJSON.bytes(object) == (try Self.foundation(object)), "\(object)")
        }
    }

    @Test("a value it does not write by hand (a parsed number, a Double) goes to JSONSerialization")
    func otherValues() throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"n": 1, "t": true, "x": 1.5}"#.utf8)) as! [String: Any]
        let object: [String: Any] = ["echo": parsed, "d": 2.25]
        #expect(SandboxJSON.bytes(object) == (try Self.foundation(object)))
    }
}
