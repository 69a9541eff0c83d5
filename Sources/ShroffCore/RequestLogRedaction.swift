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
/// comma in an array or object, so that what the API read is what its log shows. Written by hand rather than decoding into `JSONValue` and encoding again: that round trip
/// was 13 % of a query's CPU (issue 18). The input must already be valid UTF-8.
struct RedactingJSONCopy {
    private let input: [UInt8]
    private let isSecret: (String) -> Bool
    private var index = 0
    private var output: [UInt8] = []

    private init(input: [UInt8], isSecret: @escaping (String) -> Bool) {
        self.input = input
        self.isSecret = isSecret
        output.reserveCapacity(input.count)
    }

    /// The copy, or nil when `bytes` is not one JSON document nested at most `JSONLimits.maximumDepth` deep.
    static func copy(of bytes: [UInt8], redacting isSecret: @escaping (String) -> Bool) -> [UInt8]? {
        var copy = RedactingJSONCopy(input: bytes, isSecret: isSecret)
        guard copy.value(depth: 0) else { return nil }
        copy.skipWhitespace()
        return copy.index == bytes.count ? copy.output : nil
    }

    private static let redactedValue = Array("\"\(RequestLogRedaction.redacted)\"".utf8)

    private var next: UInt8? { index < input.count ? input[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index += 1
        output.append(byte)
        return true
    }

    private mutating func value(depth: Int) -> Bool {
        skipWhitespace()
        guard let first = next else { return false }
        switch first {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return false
        }
    }

    private mutating func object(depth: Int) -> Bool {
        guard depth <= JSONLimits.maximumDepth, take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipWhitespace()
            guard let key = string() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            let valueStart = output.count
            guard value(depth: depth) else { return false }
            if isSecret(key) {
                output.removeSubrange(valueStart...)
                output.append(contentsOf: Self.redactedValue)
            }
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
        }
    }

    private mutating func array(depth: Int) -> Bool {
        guard depth <= JSONLimits.maximumDepth, take(UInt8(ascii: "[")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return true }
        while true {
            guard value(depth: depth) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
        }
    }

    /// Copies a string and returns its text (escapes resolved), or nil when it is malformed: a
    /// control character, an unknown escape, a `\u` that is not four hex digits or a lone surrogate.
    private mutating func string() -> String? {
        guard next == UInt8(ascii: "\"") else { return nil }
        let start = index
        index += 1
        var escaped = false
        while true {
            guard let byte = next, byte >= 0x20 else { return nil }
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\") else { continue }
            escaped = true
            guard let escape = next else { return nil }
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                guard let unit = hexUnit() else { return nil }
                if (0xDC00...0xDFFF).contains(unit) { return nil }
                if (0xD800...0xDBFF).contains(unit) {
                    guard next == UInt8(ascii: "\\"), index + 1 < input.count, input[index + 1] == UInt8(ascii: "u") else { return nil }
                    index += 2
                    guard let low = hexUnit(), (0xDC00...0xDFFF).contains(low) else { return nil }
                }
            default:
                return nil
            }
        }
        let quoted = input[start..<index]
        output.append(contentsOf: quoted)
        let inner = quoted.dropFirst().dropLast()
        guard escaped else { return String(decoding: inner, as: UTF8.self) }
        // Rare (a key written with escapes): Foundation resolves them, so `\u0074oken` is `token`.
        return try? JSONDecoder().decode(String.self, from: Data(quoted))
    }

    private mutating func hexUnit() -> UInt16? {
        guard index + 4 <= input.count else { return nil }
        var unit: UInt16 = 0
        for byte in input[index..<index + 4] {
            guard let digit = byte.hexDigitValue else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        index += 4
        return unit
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + bytes.count <= input.count, input[index..<index + bytes.count].elementsEqual(bytes) else { return false }
        index += bytes.count
        output.append(contentsOf: bytes)
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, copied as written.
    private mutating func number() -> Bool {
        let start = index
        if next == UInt8(ascii: "-") { index += 1 }
        if next == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() else { return false }
        }
        if next == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
        }
        output.append(contentsOf: input[start..<index])
        return true
    }

    /// One or more ASCII digits.
    private mutating func digits() -> Bool {
        let start = index
        while let byte = next, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }
}

private extension UInt8 {
    var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
