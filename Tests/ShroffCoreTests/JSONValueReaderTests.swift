import Foundation
@testable import ShroffCore
import Testing

/// The hand-written reader of request bodies reads what `JSONDecoder` reads, as it reads it, and
/// leaves to it what it does not read itself.
@Suite("Request body reader")
struct JSONValueReaderTests {
    static func foundation(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    @Test("plain bodies are read by hand, as Foundation reads them", arguments: [
        #"{"amount":"10.50","payment_method":{"type":"alipayhk"},"n":-0,"max":9223372036854775807}"#,
        #" { "a" : [ 1 , true , false , null , "" ] , } "#,
        #"{"a":1,"a":2}"#,
        #"{"e\u0301":1,"é":2}"#,
        #"{"s":"q\"b\\s\/b\bf\fn\nr\rt\tu\u00e9\uD83D\uDE00"}"#,
        "{\"raw\":\"é😀\u{7F}\"}",
    ])
    func readByHand(_ body: String) throws {
        let bytes = Array(body.utf8)
        let read = try #require(JSONValue.parse(bytes))
        #expect(read == Self.foundation(bytes))
    }

    @Test("fractions, exponents, big numbers, a byte-order mark and UTF-16 are left to Foundation, with the same result", arguments: [
        Array(#"{"a":1.0,"b":1e2,"c":12.50}"#.utf8),
        Array(#"{"a":9223372036854775808}"#.utf8),
        [0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8),
        Array("{\"a\":1}".data(using: .utf16LittleEndian)!),
    ])
    func leftToFoundation(_ bytes: [UInt8]) throws {
        #expect(JSONValue.parse(bytes) == nil)
        #expect(try JSONValue.decode(bytes) == Self.foundation(bytes))
    }

    @Test("what Foundation refuses is refused", arguments: [
        #"{"a":"\ud800"}"#, #"{"a":"\x"}"#, #"{"a":01}"#, #"{,}"#, #"{"a":[,]}"#, #"{"a":1,,}"#, #"{"a":1} x"#, "{\"a\":\"\u{1}\"}", #"{"a":1"#,
    ])
    func refused(_ body: String) {
        let bytes = Array(body.utf8)
        #expect(JSONValue.parse(bytes) == nil)
        #expect(Self.foundation(bytes) == nil)
        #expect(throws: (any Error).self) { try JSONValue.decode(bytes) }
    }

    @Test("bytes that are not UTF-8 inside a string are not read by hand")
    func invalidUTF8() {
        let bytes = Array(#"{"a":"x"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(JSONValue.parse(bytes) == nil)
        #expect((try? JSONValue.decode(bytes)) == Self.foundation(bytes))
    }
}

@Suite("Stored next action")
struct StoredNextActionTests {
    @Test("a next action's stored details read back as written, form fields and quotes included")
    func roundTrip() {
        let full = NextAction(
            type: .redirect, url: "https://wap.example/gateway.do", method: "POST",
            formFields: ["sign": "a\"b\\c/é", "service": "create_forex_trade_wap", "empty": ""], codeType: nil, displayType: nil
        )
        #expect(NextAction.stored(type: full.type, url: full.url, details: full.storedDetails) == full)
        let code = NextAction(type: .renderQRCode, url: "https://qr.example/x", codeType: "QRCODE", displayType: "MIDDLE")
        #expect(NextAction.stored(type: code.type, url: code.url, details: code.storedDetails) == code)
        let bare = NextAction(type: .redirect, url: "https://cashier.example/")
        #expect(bare.storedDetails == nil)
        #expect(NextAction.stored(type: bare.type, url: bare.url, details: nil) == bare)
    }
}
