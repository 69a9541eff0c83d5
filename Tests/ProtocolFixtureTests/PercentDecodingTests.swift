import Foundation
@testable import ShroffConnectors
import Testing

/// The byte-level percent coding of signatures and WAP forms gives Foundation's answers (the fuzz
/// target `signature_header` checks that on any input; these are the cases worth naming).
@Suite("Percent coding on bytes")
struct PercentDecodingTests {
    @Test("escapes decode as Foundation decodes them; a malformed escape or bytes that are not UTF-8 give nil", arguments: [
        "", "abc", "a%2Bb", "%2b%2F", "%C3%A9", "é%41", "%00", "+%20", "%", "%2", "%0", "%G1", "%ZZ", "%%", "%C3", "%e9", "100%",
    ])
    func sameAsFoundation(_ text: String) {
        #expect(PercentDecoding.decode(text) == text.removingPercentEncoding)
        #expect(PercentDecoding.decode(text, plusIsSpace: true) == text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding)
    }

    @Test("a lone byte that is not UTF-8 is refused, %A9 too (which Foundation on Linux reads as U+FFFD)")
    func strictUTF8() {
        #expect(PercentDecoding.decode("a%A9") == nil && PercentDecoding.decode("%80%80") == nil && PercentDecoding.decode("%FF") == nil)
        #expect(PercentDecoding.decode("%C2%A9") == "©" && PercentDecoding.decode("%EF%BF%BD") == "\u{FFFD}")
        #expect(WAPForm.parse("a=%A9") == nil && WAPForm.parse("a=%C2%A9+b") == ["a": "© b"])
        // Every `+` of a form is a space, after any character (Foundation's replacingOccurrences missed some after U+FFFD).
        #expect(WAPForm.parse("k=\u{FFFD}B0\u{FFFD}\u{FFFD}+x") == ["k": "\u{FFFD}B0\u{FFFD}\u{FFFD} x"])
    }

    @Test("a signature's base64 is written with +, / and = escaped in upper-case hex, and reads back")
    func base64RoundTrip() {
        let base64 = Data((0...255).map(UInt8.init)).base64EncodedString()
        let encoded = AMSSignature.urlEncode(base64)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        #expect(encoded == base64.addingPercentEncoding(withAllowedCharacters: allowed))
        #expect(encoded.contains("%2B") && encoded.contains("%2F") && encoded.hasSuffix("%3D"))
        #expect(PercentDecoding.decode(encoded) == base64)
    }

    @Test("the Signature header's fields are trimmed of tabs and Unicode spaces, not of other characters")
    func headerSpaces() throws {
        let header = try #require(AMSSignatureHeader.parse("\u{3000}algorithm = RSA256\t,keyVersion=\u{00A0}2 , signature=QUJD%3D"))
        #expect(header.algorithm == "RSA256" && header.keyVersion == "2" && header.signature == Array("ABC".utf8))
        #expect(AMSSignatureHeader.parse("algorithm=RSA256\n,signature=QUJD") == nil)
        #expect(AMSSignatureHeader.parse("algorithm=RSA256,signature=QUJD%3") == nil)
    }
}
