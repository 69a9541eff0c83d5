import Foundation
import ShroffCore
import Testing

@Suite("Request log bodies")
struct RequestLogRedactionTests {
    @Test("secret keys are redacted at any depth; other values stay")
    func redaction() {
        let body = #"{"token":"t0k","data":{"webhook_secret":"whsec_x","list":[{"API_KEY":"k","amount":"1"}]},"signature":5,"rid":"r"}"#
        let stored = RequestLogRedaction.body(Array(body.utf8))
        #expect(stored == #"{"token":"[redacted]","data":{"webhook_secret":"[redacted]","list":[{"API_KEY":"[redacted]","amount":"1"}]},"signature":"[redacted]","rid":"r"}"#)
    }

    @Test("a secret key however it is written: escaped, a Unicode letter that lowercases to ASCII, twice, with any value")
    func secretKeySpellings() {
        let body = #"{ "\u0074oken" : "a", "TO\u212AEN": "b", "K\u212A": 1, "secret": {"x": [1, 2]}, "secret": null, "signature": -1.5e+3 }"#
        #expect(RequestLogRedaction.body(Array(body.utf8))
            == #"{"\u0074oken":"[redacted]","TO\u212AEN":"[redacted]","K\u212A":1,"secret":"[redacted]","secret":"[redacted]","signature":"[redacted]"}"#)
    }

    @Test("values are copied as written, whitespace left out")
    func copiedAsWritten() {
        let body = "[ 0, -0.5, 1E9, true, false, null, \"\\u00e9\\n\", \"\u{1F600}\", {}, [], {\"a\": [1,], } ]\n"
        #expect(RequestLogRedaction.body(Array(body.utf8)) == "[0,-0.5,1E9,true,false,null,\"\\u00e9\\n\",\"\u{1F600}\",{},[],{\"a\":[1,],}]")
    }

    @Test("what RFC 8259 refuses is kept as its size", arguments: [
        "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[,]", "{,}", "[1,,]", "{\"a\"}", "{a:1}", "[1 2]",
        "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u12\"", "\"a\tb\"", "\"open", "[] []", "NaN",
    ])
    func refused(_ body: String) {
        #expect(RequestLogRedaction.body(Array(body.utf8)) == "[not JSON, \(body.utf8.count) bytes]")
    }

    @Test("hostile bodies: not JSON, too deep, a prefix only, empty; none crashes")
    func hostile() {
        #expect(RequestLogRedaction.body(Array("api_key=secret".utf8)) == "[not JSON, 14 bytes]")
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(RequestLogRedaction.body(Array(deep.utf8)) == "[not JSON, 10000 bytes]")
        let deepest = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(RequestLogRedaction.body(Array(deepest.utf8)) == deepest)
        #expect(RequestLogRedaction.body(Array(("[" + deepest + "]").utf8)) == "[not JSON, 66 bytes]")
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
