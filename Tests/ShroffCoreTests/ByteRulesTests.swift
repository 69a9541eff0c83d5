import Testing
@testable import ShroffCore

/// Rules judged on UTF-8 bytes (issue 14): Swift's `Character` and `String` comparisons treat
/// combining marks and canonically equivalent scalars as the same text, which input must not exploit.
@Suite("Byte-level input rules")
struct ByteRulesTests {
    static let hkd = Currency(code: "HKD")!

    @Test("amounts with non-ASCII digits, combining marks or stray dots are refused, never trapped on", arguments: [
        "1\u{0301}", "1\u{0301}0", "\u{FF11}", "\u{0661}", "1.\u{0301}5", "1.", ".5", "01", "00.5", "1..5", "1.5.", "",
        "1e3", "+1", "-1", " 1", "1 ", "\u{0000}1", "1\u{0000}",
    ])
    func amountRefused(_ text: String) {
        #expect(throws: Money.ParseError.self) { try Money.parse(text, currency: Self.hkd) }
    }

    @Test func amountLimits() throws {
        #expect(try Money.parse("0.5", currency: Self.hkd).minorUnits == 50)
        #expect(throws: Money.ParseError.tooManyIntegerDigits) { try Money.parse("1234567890123", currency: Self.hkd) }
        #expect(throws: Money.ParseError.tooManyDecimals(allowed: 2)) { try Money.parse("1.234", currency: Self.hkd) }
        #expect(throws: Money.ParseError.notPositive) { try Money.parse("0.00", currency: Self.hkd) }
    }

    @Test("currency codes are 3 ASCII capitals byte for byte (a KELVIN SIGN is not K)")
    func currencyBytes() {
        #expect(Currency(code: "HKD") != nil)
        #expect(Currency(code: "H\u{212A}D") == nil)
        #expect(Currency(code: "\u{212A}RW") == nil)
        #expect(Currency(code: "hkd") == nil)
        #expect(Currency(code: "HKD\u{0301}") == nil)
    }

    @Test("choices compare bytes and answer the allowed spelling")
    func choiceBytes() throws {
        let reader = FieldReader(["wallet": .string("\u{212A}AKAOPAY"), "ok": .string("KAKAOPAY")])
        #expect(throws: GatewayError.self) { try reader.choice("wallet", in: ["KAKAOPAY"]) }
        #expect(try reader.choice("ok", in: ["KAKAOPAY"]) == "KAKAOPAY")
    }

    @Test("length limits count UTF-8 bytes, and control characters are refused")
    func lengthInBytes() throws {
        let stacked = "e" + String(repeating: "\u{0301}", count: 300)  // one Character, 601 bytes
        #expect(stacked.count == 1)
        let reader = FieldReader(["d": .string(stacked), "c": .string("a\u{0007}b"), "n": .string(String(repeating: "é", count: 128))])
        #expect(throws: GatewayError.invalidParameter("d", "must be at most 256 bytes in UTF-8")) { try reader.string("d", maxLength: 256) }
        #expect(throws: GatewayError.invalidParameter("c", "must not contain control characters")) { try reader.string("c") }
        #expect(try reader.string("n", maxLength: 256).utf8.count == 256)
    }

    @Test("merchant references are ASCII letters, digits, - and _ only", arguments: [
        "P\u{0301}1", "\u{FF30}1", "P 1", "P/1", "P.1", "\u{212A}1",
    ])
    func referenceRefused(_ text: String) {
        #expect(throws: GatewayError.self) {
            try CreateIntentRequest.merchantReference(FieldReader(["m": .string(text)]), "m")
        }
    }

    @Test func jsonDepth() {
        #expect(JSONLimits.depth(of: Array(#"{"a":[1,{"b":2}]}"#.utf8)) == 3)
        #expect(JSONLimits.depth(of: Array(#"{"a":"[[[[[[["}"#.utf8)) == 1)
        #expect(JSONLimits.depth(of: Array(#"{"a":"\"[[["}"#.utf8)) == 1)
        #expect(JSONLimits.depth(of: Array((String(repeating: "[", count: 40) + String(repeating: "]", count: 40)).utf8)) == 40)
    }
}

@Suite("Merchant URLs")
struct MerchantURLTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let normalized: String
        var testDescription: String { text }
    }

    @Test("accepted URLs are forwarded in their normalised form", arguments: [
        Case(text: "https://shop.example.com/done", normalized: "https://shop.example.com/done"),
        Case(text: "HTTPS://Shop.Example.COM:443/Done?x=1#top", normalized: "https://shop.example.com/Done?x=1#top"),
        Case(text: "http://shop.example.com", normalized: "http://shop.example.com/"),
        Case(text: "http://shop.example.com:8080?a=%20", normalized: "http://shop.example.com:8080/?a=%20"),
        Case(text: "http://127.0.0.1:9/x", normalized: "http://127.0.0.1:9/x"),
        Case(text: "http://[::FFFF:7F00:1]/", normalized: "http://[::ffff:7f00:1]/"),
        Case(text: "https://xn--bcher-kva.example/", normalized: "https://xn--bcher-kva.example/"),
    ])
    func accepted(_ example: Case) throws {
        #expect(try MerchantURL.parse(example.text).normalized == example.normalized)
    }

    @Test("URLs on which parsers disagree, or that are not plain http(s), are refused", arguments: [
        "https://evil.com\\@shop.example.com/", "https://evil.com\\.shop.example.com/", "https:\\\\evil.com/",
        "https://user:pw@shop.example.com/", "https://shop.example.com@evil.com/", "https://evil.com%40shop.example.com/",
        "javascript:alert(1)", "ftp://shop.example.com/", "https:/shop.example.com/", "//shop.example.com/",
        "https://shop.example.com/\u{0000}", "https://shop.example.com/a b", "https://shop.example.com/\t",
        "https://shöp.example.com/", "https://shop.example.com./", "https://shop..example.com/",
        "http://0x7f.1/", "http://2130706433/", "http://127.1/", "http://0177.0.0.1/", "http://1.2.3.256/",
        "http://[::1/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[fe80::1%25eth0]/", "https://shop.example.com:0/",
        "https://shop.example.com:65536/", "https://shop.example.com:8a/", "https:///x", "https://:443/",
        "https://shop.example.com/%zz", "https://shop.example.com/%4", "https://-shop.example.com/", "https://shop-.example.com/",
        "https://shop.example.com/<script>", "https://shop.example.com/\"",
    ])
    func refused(_ text: String) {
        #expect(throws: MerchantURL.Refusal.self) { try MerchantURL.parse(text) }
    }

    @Test("the H5 domain rule uses the host a browser would go to")
    func domainRule() throws {
        #expect(try MerchantURL.parse("https://shop.example.com/").isWithin(domain: "shop.example.com"))
        #expect(try MerchantURL.parse("https://m.shop.example.com/").isWithin(domain: "Shop.Example.com"))
        #expect(try !MerchantURL.parse("https://evilshop.example.com/").isWithin(domain: "shop.example.com"))
        #expect(try !MerchantURL.parse("https://shop.example.com.evil.com/").isWithin(domain: "shop.example.com"))
        #expect(try !MerchantURL.parse("https://127.0.0.1/").isWithin(domain: "0.0.1"))
    }

    @Test func ipv6Text() {
        #expect(IPv6Text.parse(Array("::".utf8)) == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(IPv6Text.parse(Array("::1".utf8)) == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(IPv6Text.parse(Array("64:ff9b::10.0.0.1".utf8)) == [0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 0x0001])
        #expect(IPv6Text.parse(Array("1::2::3".utf8)) == nil)
        #expect(IPv6Text.parse(Array("1:2".utf8)) == nil)
        #expect(IPv6Text.parse(Array(":1::".utf8)) == nil)
        #expect(IPv6Text.compressed([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]) == "2001:db8::1:0:0:1")
        #expect(IPv6Text.compressed([1, 0, 2, 0, 3, 0, 4, 0]) == "1:0:2:0:3:0:4:0")
    }
}
