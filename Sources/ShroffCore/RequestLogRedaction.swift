import Foundation

/// How a request or answer body is kept in the request log: read as JSON, the values of secret keys
/// replaced, insignificant whitespace left out, and cut to 8 KiB on a UTF-8 boundary. Anything that
/// is not one JSON document within the nesting limit is kept only as its size.
public enum RequestLogRedaction {
    /// Keys whose values are never stored, at any depth, compared lowercased.
    public static let secretKeys: Set<String> = ["api_key", "token", "access_token", "webhook_secret", "secret", "signature"]
    public static let maximumBytes = 8 * 1024
    public static let redacted = "[redacted]"

    /// The stored form of `bytes` (`total` is the body's real size when only a prefix was kept).
    public static func body(_ bytes: [UInt8], total: Int? = nil) -> String {
        let size = total ?? bytes.count
        guard size > 0 else { return "" }
        guard size == bytes.count, String(validating: bytes, as: UTF8.self) != nil,
              let copy = RedactingJSONCopy.copy(of: bytes, redacting: { secretKeys.contains($0.lowercased()) }) else {
            return "[not JSON, \(size) bytes]"
        }
        return truncated(copy)
    }

    /// `bytes` (UTF-8) cut to `maximumBytes` (marker included), never inside a character's bytes.
    static func truncated(_ bytes: [UInt8]) -> String {
        guard bytes.count > maximumBytes else { return String(decoding: bytes, as: UTF8.self) }
        let marker = "…[truncated]"
        var end = maximumBytes - marker.utf8.count
        // A continuation byte (10xxxxxx) at the cut belongs to a character that would be split.
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self) + marker
    }
}

/// A copy of one JSON document (RFC 8259) made byte by byte, without insignificant whitespace and
/// with the value of every key that `isSecret` names replaced by `"[redacted]"`; keys keep their
/// order. Like Foundation's reader, which reads the merchant API's requests, it allows a trailing
/// comma in an array or object, so that what the API read is what its log shows. Written by hand
/// rather than decoding into `JSONValue` and encoding again: that round trip was 13 % of a query's
/// CPU (issue 18). The input must already be valid UTF-8.
struct RedactingJSONCopy {
    private var scanner: JSONScanner
    private let isSecret: (String) -> Bool
    private var output: [UInt8] = []

    private init(input: [UInt8], isSecret: @escaping (String) -> Bool) {
        scanner = JSONScanner(input)
        self.isSecret = isSecret
        output.reserveCapacity(input.count)
    }

    /// The copy, or nil when `bytes` is not one JSON document nested at most `JSONLimits.maximumDepth` deep.
    static func copy(of bytes: [UInt8], redacting isSecret: @escaping (String) -> Bool) -> [UInt8]? {
        var copy = RedactingJSONCopy(input: bytes, isSecret: isSecret)
        guard copy.value(depth: 0) else { return nil }
        copy.scanner.skipWhitespace()
        return copy.scanner.isAtEnd ? copy.output : nil
    }

    private static let redactedValue = Array("\"\(RequestLogRedaction.redacted)\"".utf8)

    private mutating func take(_ byte: UInt8) -> Bool {
        guard scanner.take(byte) else { return false }
        output.append(byte)
        return true
    }

    /// Copies the token `scan` reads, if it reads one.
    private mutating func copy(_ scan: (inout JSONScanner) -> Bool) -> Bool {
        let start = scanner.index
        guard scan(&scanner) else { return false }
        output.append(contentsOf: scanner.input[start..<scanner.index])
        return true
    }

    private mutating func value(depth: Int) -> Bool {
        scanner.skipWhitespace()
        guard let first = scanner.next else { return false }
        switch first {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""): return copy { $0.string() != nil }
        case UInt8(ascii: "t"): return copy { $0.literal("true") }
        case UInt8(ascii: "f"): return copy { $0.literal("false") }
        case UInt8(ascii: "n"): return copy { $0.literal("null") }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return copy { $0.number() != nil }
        default: return false
        }
    }

    private mutating func object(depth: Int) -> Bool {
        guard depth <= JSONLimits.maximumDepth, take(UInt8(ascii: "{")) else { return false }
        scanner.skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            scanner.skipWhitespace()
            guard let key = self.key() else { return false }
            scanner.skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            let valueStart = output.count
            guard value(depth: depth) else { return false }
            if isSecret(key) {
                output.removeSubrange(valueStart...)
                output.append(contentsOf: Self.redactedValue)
            }
            scanner.skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
            scanner.skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
        }
    }

    private mutating func array(depth: Int) -> Bool {
        guard depth <= JSONLimits.maximumDepth, take(UInt8(ascii: "[")) else { return false }
        scanner.skipWhitespace()
        if take(UInt8(ascii: "]")) { return true }
        while true {
            guard value(depth: depth) else { return false }
            scanner.skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
            scanner.skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
        }
    }

    /// Copies a key and returns its text, escapes resolved as Foundation resolves them (`\u0074oken`
    /// is `token`); nil when it is malformed.
    private mutating func key() -> String? {
        guard let (quoted, escaped) = scanner.string() else { return nil }
        output.append(contentsOf: scanner.input[quoted])
        return scanner.text(of: quoted, escaped: escaped)
    }
}
