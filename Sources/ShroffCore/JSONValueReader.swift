import Foundation

extension JSONValue {
    /// A request body's document: read by hand when it is plain JSON in UTF-8 whose numbers are all
    /// integers that fit 64 bits (what the API's requests are), else by Foundation's `JSONDecoder`,
    /// which reads the rest (a byte-order mark, UTF-16, fractions) and says what is wrong with a body
    /// it refuses. Both read the same documents the same way: decoding every body with `JSONDecoder`
    /// was a twentieth of a query's CPU (issue 18), and the fuzz target `json_value` compares them.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        if let document = parse(bytes) { return document }
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The document as the hand-written reader reads it, or nil when it leaves the document to
    /// `JSONDecoder`. Like it: a trailing comma in an array or object is allowed, and of a key given
    /// twice (as Swift compares strings) the first value counts.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var reader = JSONValueReader(scanner: JSONScanner(bytes))
        guard let document = reader.value(depth: 0) else { return nil }
        reader.scanner.skipWhitespace()
        return reader.scanner.isAtEnd ? document : nil
    }
}

private struct JSONValueReader {
    var scanner: JSONScanner

    mutating func value(depth: Int) -> JSONValue? {
        scanner.skipWhitespace()
        guard let first = scanner.next else { return nil }
        switch first {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return scanner.literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return scanner.literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return scanner.literal("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = scanner.index
            // A fraction or an exponent is left to Foundation, whose rules for them this does not repeat.
            guard scanner.number() == true,
                  let integer = Int64(String(decoding: scanner.input[start..<scanner.index], as: UTF8.self)) else { return nil }
            return .number(String(integer))
        default:
            return nil
        }
    }

    mutating func object(depth: Int) -> JSONValue? {
        guard depth <= JSONLimits.maximumDepth, scanner.take(UInt8(ascii: "{")) else { return nil }
        var fields: [String: JSONValue] = [:]
        scanner.skipWhitespace()
        if scanner.take(UInt8(ascii: "}")) { return .object(fields) }
        while true {
            scanner.skipWhitespace()
            guard let key = string() else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ":")), let value = value(depth: depth) else { return nil }
            if fields[key] == nil { fields[key] = value }
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: "}")) { return .object(fields) }
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: "}")) { return .object(fields) }
        }
    }

    mutating func array(depth: Int) -> JSONValue? {
        guard depth <= JSONLimits.maximumDepth, scanner.take(UInt8(ascii: "[")) else { return nil }
        var items: [JSONValue] = []
        scanner.skipWhitespace()
        if scanner.take(UInt8(ascii: "]")) { return .array(items) }
        while true {
            guard let item = value(depth: depth) else { return nil }
            items.append(item)
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: "]")) { return .array(items) }
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: "]")) { return .array(items) }
        }
    }

    mutating func string() -> String? {
        guard let (quoted, escaped) = scanner.string() else { return nil }
        return scanner.text(of: quoted, escaped: escaped)
    }
}
