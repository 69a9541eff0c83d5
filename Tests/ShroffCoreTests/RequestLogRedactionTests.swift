import Foundation
import ShroffCore
import Testing

@Suite("Request log bodies")
struct RequestLogRedactionTests {
    @Test("secret keys are redacted at any depth; other values stay")
    func redaction() {
        let body = #"{"token":"t0k","data":{"webhook_secret":"whsec_x","list":[{"API_KEY":"k","amount":"1"}]},"signature":5,"rid":"r"}"#
        let stored = RequestLogRedaction.body(Array(body.utf8))
        #expect(stored == #"{"data":{"list":[{"API_KEY":"[redacted]","amount":"1"}],"webhook_secret":"[redacted]"},"rid":"r","signature":"[redacted]","token":"[redacted]"}"#)
    }

    @Test("hostile bodies: not JSON, too deep, a prefix only, empty; none crashes")
    func hostile() {
        #expect(RequestLogRedaction.body(Array("api_key=secret".utf8)) == "[not JSON, 14 bytes]")
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(RequestLogRedaction.body(Array(deep.utf8)) == "[not JSON, 10000 bytes]")
        #expect(RequestLogRedaction.body(Array(#"{"a":1}"#.utf8), total: 70_000) == "[not JSON, 70000 bytes]")
        #expect(RequestLogRedaction.body([0xFF, 0xFE, 0x00]) == "[not JSON, 3 bytes]")
        #expect(RequestLogRedaction.body([]) == "")
    }

    @Test("long bodies are cut to 8 KiB on a UTF-8 boundary")
    func truncation() {
        let body = #"{"d":""# + String(repeating: "é", count: 6000) + #""}"#
        let stored = RequestLogRedaction.body(Array(body.utf8))
        #expect(stored.utf8.count <= 8 * 1024 && stored.hasSuffix("…[truncated]") && stored.hasPrefix(#"{"d":"éé"#))
        #expect(!stored.unicodeScalars.contains("\u{FFFD}"))
    }
}
