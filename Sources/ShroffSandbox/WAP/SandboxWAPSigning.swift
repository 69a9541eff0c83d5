import Crypto
import Foundation
import _CryptoExtras

/// The WAP gateway's signing rule (providers.md §2), from the provider's side and written apart from
/// the gateway's connector: every parameter but `sign` and `sign_type`, empty values left out, sorted
/// by key in ASCII (byte) order, joined `k=v&k=v` with the raw (decoded) values.
///
/// - MD5: lowercase hex of MD5(content + key), the key appended with no separator.
/// - RSA2: standard base64 of SHA256withRSA (PKCS#1 v1.5) over the UTF-8 content.
enum WAPSigning {
    enum SignType: String, Sendable, Equatable {
        case md5 = "MD5"
        case rsa2 = "RSA2"
    }

    /// The exact text that is signed.
    static func content(_ parameters: [String: String]) -> String {
        parameters
            .filter { $0.key != "sign" && $0.key != "sign_type" && !$0.value.isEmpty }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    static func md5Sign(_ parameters: [String: String], key: String) -> String {
        let digest = Insecure.MD5.hash(data: Data((content(parameters) + key).utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Constant-time comparison of the expected and given MD5 signs (the given one may be uppercase).
    static func md5Verify(_ parameters: [String: String], sign: String, key: String) -> Bool {
        let expected = Array(md5Sign(parameters, key: key).utf8)
        let given = Array(sign.lowercased().utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    static func rsa2Sign(_ parameters: [String: String], key: _RSA.Signing.PrivateKey) throws -> String {
        let signature = try key.signature(for: Data(content(parameters).utf8), padding: .insecurePKCS1v1_5)
        return signature.rawRepresentation.base64EncodedString()
    }

    static func rsa2Verify(_ parameters: [String: String], sign: String, key: _RSA.Signing.PublicKey) -> Bool {
        // A sign that travelled through a form decoder unencoded may have lost its `+` to spaces.
        guard let raw = Data(base64Encoded: sign.replacingOccurrences(of: " ", with: "+")) else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: raw), for: Data(content(parameters).utf8), padding: .insecurePKCS1v1_5
        )
    }

    /// Reads `application/x-www-form-urlencoded` text (a URL query or a form body): `+` is a space,
    /// `%XX` are UTF-8 bytes. Nil when a pair cannot be decoded; `duplicate` names a repeated key.
    static func parseForm(_ text: Substring) -> (fields: [String: String], duplicate: String?)? {
        var fields: [String: String] = [:]
        var duplicate: String?
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), !key.isEmpty else { return nil }
            guard let value = parts.count > 1 ? decode(parts[1]) : "" else { return nil }
            if fields[key] != nil { duplicate = duplicate ?? key }
            fields[key] = value
        }
        return (fields, duplicate)
    }

    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// `k=v&…`, keys in ASCII order, values percent-encoded except the unreserved characters.
    static func encodeForm(_ parameters: [String: String]) -> String {
        parameters
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\(percentEncode($0.key))=\(percentEncode($0.value))" }
            .joined(separator: "&")
    }

    static func percentEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += byte < 16 ? "%0" + hex : "%" + hex
            }
        }
        return encoded
    }
}

/// Times as the WAP gateway writes them: Beijing time (+08:00), no zone in the text.
enum WAPTime {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar
    }()

    /// `yyyy-MM-dd HH:mm:ss`
    static func text(_ date: Date) -> String { WallClockTime(date, utcOffsetSeconds: 8 * 3600).dateAndTime }

    /// `yyyyMMdd`, for trade numbers.
    static func day(_ date: Date) -> String { WallClockTime(date, utcOffsetSeconds: 8 * 3600).compactDate }

    /// `yyyyMMddHHmmss` (forex_refund's `gmt_return`); nil if not a real time.
    static func parseCompact(_ text: String) -> Date? {
        guard text.count == 14, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let digits = Array(text)
        func number(_ from: Int, _ length: Int) -> Int { Int(String(digits[from..<from + length]))! }
        let components = DateComponents(
            year: number(0, 4), month: number(4, 2), day: number(6, 2), hour: number(8, 2), minute: number(10, 2), second: number(12, 2)
        )
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}

/// Amounts in major units with the currency's decimals, as `total_fee` and `return_amount` are written.
enum WAPMoney {
    /// The currencies the sandbox's forex gateway settles, with their decimals.
    static let decimals: [String: Int] = [
        "AUD": 2, "CAD": 2, "CHF": 2, "CNY": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "JPY": 0, "KRW": 0,
        "MOP": 2, "NOK": 2, "NZD": 2, "SEK": 2, "SGD": 2, "THB": 2, "USD": 2,
    ]

    /// Minor units of `text` (`10`, `10.5`, `10.50`; no sign, no exponent, at most the currency's
    /// decimals, at most 12 integer digits); nil when malformed.
    static func minorUnits(_ text: String, currency: String) -> Int64? {
        guard let places = decimals[currency] else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        func digitsOnly(_ s: Substring) -> Bool { s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        guard !whole.isEmpty, whole.count <= 12, digitsOnly(whole), digitsOnly(fraction) else { return nil }
        if parts.count > 1 { guard !fraction.isEmpty, fraction.count <= places else { return nil } }
        var value = Int64(whole)!
        for _ in 0..<places { value *= 10 }
        var fractionValue: Int64 = fraction.isEmpty ? 0 : Int64(fraction)!
        for _ in fraction.count..<places { fractionValue *= 10 }
        return value + fractionValue
    }

    /// `1.00`, `1050` (JPY): exactly the currency's decimals.
    static func text(_ minorUnits: Int64, currency: String) -> String {
        SandboxMoney.decimal(minorUnits: minorUnits, places: decimals[currency] ?? 2)
    }
}
