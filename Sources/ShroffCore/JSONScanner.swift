/// The tokens of a JSON document (RFC 8259), read byte by byte: what the request log's copy
/// (`RedactingJSONCopy`) and the fast reader of request bodies (`JSONValue.parse`) share.
struct JSONScanner {
    let input: [UInt8]
    var index = 0

    init(_ input: [UInt8]) {
        self.input = input
    }

    var next: UInt8? { index < input.count ? input[index] : nil }
    var isAtEnd: Bool { index == input.count }

    mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index += 1
        return true
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + bytes.count <= input.count, input[index..<index + bytes.count].elementsEqual(bytes) else { return false }
        index += bytes.count
        return true
    }

    /// A quoted string: where it stands (quotes included) and whether it has escapes; nil when it is
    /// malformed: a control character, an unknown escape, a `\u` that is not four hex digits or a
    /// lone surrogate.
    mutating func string() -> (quoted: Range<Int>, escaped: Bool)? {
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
                guard let unit = Self.hexUnit(input, at: index) else { return nil }
                index += 4
                if (0xDC00...0xDFFF).contains(unit) { return nil }
                if (0xD800...0xDBFF).contains(unit) {
                    guard next == UInt8(ascii: "\\"), index + 1 < input.count, input[index + 1] == UInt8(ascii: "u"),
                          let low = Self.hexUnit(input, at: index + 2), (0xDC00...0xDFFF).contains(low) else { return nil }
                    index += 6
                }
            default:
                return nil
            }
        }
        return (start..<index, escaped)
    }

    /// The text of a string `string()` accepted, escapes resolved; nil when it is not UTF-8.
    func text(of quoted: Range<Int>, escaped: Bool) -> String? {
        let inner = input[(quoted.lowerBound + 1)..<(quoted.upperBound - 1)]
        guard escaped else { return String(validating: inner, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(inner.count)
        var position = inner.startIndex
        while position < inner.endIndex {
            let byte = inner[position]
            position += 1
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            let escape = inner[position]
            position += 1
            switch escape {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                // `string()` checked the digits and that a high surrogate has its low one.
                var scalar = UInt32(Self.hexUnit(input, at: position)!)
                position += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    let low = UInt32(Self.hexUnit(input, at: position + 2)!)
                    position += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                bytes.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
            default: bytes.append(escape) // `"`, `\` and `/` stand for themselves.
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: whether it is an integer (no
    /// fraction, no exponent); nil when malformed.
    mutating func number() -> Bool? {
        var isInteger = true
        _ = take(UInt8(ascii: "-"))
        if !take(UInt8(ascii: "0")) {
            guard digits() else { return nil }
        }
        if take(UInt8(ascii: ".")) {
            isInteger = false
            guard digits() else { return nil }
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            isInteger = false
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() else { return nil }
        }
        return isInteger
    }

    /// One or more ASCII digits.
    private mutating func digits() -> Bool {
        let start = index
        while let byte = next, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    private static func hexUnit(_ input: [UInt8], at index: Int) -> UInt16? {
        guard index + 4 <= input.count else { return nil }
        var unit: UInt16 = 0
        for byte in input[index..<index + 4] {
            guard let digit = hexDigitValue(byte) else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
