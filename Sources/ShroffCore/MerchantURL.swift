/// An absolute http(s) URL given by a merchant (notify_url, return_url, the default webhook URL),
/// parsed strictly on its bytes so that the host we check is the host a browser or HTTP client goes to.
///
/// Foundation's `URL` and browsers disagree on inputs such as `https://evil.com\@shop.example.com/`
/// (a backslash is a path separator to a browser) or `http://0x7f.1/` (an IPv4 address to a browser).
/// Rather than emulate every parser, anything on which they could disagree is refused: backslashes,
/// userinfo, control characters, spaces, non-ASCII bytes, malformed percent escapes, numeric hosts
/// that are not plain dotted quads, and any scheme but http and https. What is accepted is
/// forwarded in its normalised form (`normalized`), never as the raw text.
public struct MerchantURL: Sendable, Equatable {
    public enum Host: Sendable, Equatable {
        /// A DNS name in lower case, without a trailing dot.
        case name(String)
        case ipv4([UInt8])
        case ipv6([UInt16])
    }

    public let scheme: String
    public let host: Host
    /// nil when absent or the scheme's default.
    public let port: Int?
    /// Path, query and fragment as given (validated), starting with `/` (added when absent).
    public let rest: String

    /// Why a URL was refused; the text names the rule, never echoes the input.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static let maximumBytes = 2048

    public var hostText: String {
        switch host {
        case .name(let name): name
        case .ipv4(let octets): octets.map(String.init).joined(separator: ".")
        case .ipv6(let groups): "[" + IPv6Text.compressed(groups) + "]"
        }
    }

    /// The URL as it is stored and forwarded.
    public var normalized: String {
        "\(scheme)://\(hostText)\(port.map { ":\($0)" } ?? "")\(rest)"
    }

    public static func parse(_ text: String) throws(Refusal) -> MerchantURL {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumBytes else { throw Refusal("must be at most \(maximumBytes) bytes") }
        for (index, byte) in bytes.enumerated() {
            guard allowed(byte) else {
                if byte == UInt8(ascii: "\\") { throw Refusal("must not contain a backslash") }
                if byte >= 0x80 { throw Refusal("must be ASCII (percent-encode other characters; use punycode for hosts)") }
                if byte <= 0x20 || byte == 0x7F { throw Refusal("must not contain spaces or control characters") }
                throw Refusal("must not contain the character \(Character(Unicode.Scalar(byte)))")
            }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else {
                    throw Refusal("has a % not followed by two hex digits")
                }
            }
        }
        let lower = bytes.map(lowercase)
        let scheme: String
        if lower.starts(with: Array("https://".utf8)) {
            scheme = "https"
        } else if lower.starts(with: Array("http://".utf8)) {
            scheme = "http"
        } else {
            throw Refusal("must be an absolute http:// or https:// URL")
        }
        let authorityStart = scheme.utf8.count + 3
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        } ?? bytes.count
        let authority = Array(lower[authorityStart..<authorityEnd])
        guard !authority.contains(UInt8(ascii: "@")) else { throw Refusal("must not contain user information (@)") }
        let (host, portText) = try splitHostPort(authority)
        let port = try parsePort(portText, defaultPort: scheme == "https" ? 443 : 80)
        var rest = String(decoding: bytes[authorityEnd...], as: UTF8.self)
        if !rest.hasPrefix("/") { rest = "/" + rest }
        return MerchantURL(scheme: scheme, host: host, port: port, rest: rest)
    }

    /// Whether this URL's host is `domain` or a subdomain of it (a DNS name only; an IP address never is).
    public func isWithin(domain: String) -> Bool {
        guard case .name(let name) = host else { return false }
        let domain = String(decoding: domain.utf8.map(Self.lowercase), as: UTF8.self)
        guard !domain.isEmpty else { return false }
        return name.utf8.elementsEqual(domain.utf8) || name.utf8.reversed().starts(with: ("." + domain).utf8.reversed())
    }

    // MARK: - Parts

    static func splitHostPort(_ authority: [UInt8]) throws(Refusal) -> (Host, [UInt8]?) {
        guard !authority.isEmpty else { throw Refusal("has no host") }
        if authority[0] == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw Refusal("has an unclosed [ in the host") }
            guard let groups = IPv6Text.parse(Array(authority[1..<close])) else { throw Refusal("has an invalid IPv6 address") }
            let after = authority[(close + 1)...]
            if after.isEmpty { return (.ipv6(groups), nil) }
            guard after.first == UInt8(ascii: ":") else { throw Refusal("has characters after the IPv6 address") }
            return (.ipv6(groups), Array(after.dropFirst()))
        }
        var hostBytes = authority
        var port: [UInt8]?
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = Array(authority[..<colon])
            port = Array(authority[(colon + 1)...])
        }
        return (try parseHostName(hostBytes), port)
    }

    static func parseHostName(_ bytes: [UInt8]) throws(Refusal) -> Host {
        guard !bytes.isEmpty else { throw Refusal("has no host") }
        guard bytes.count <= 253 else { throw Refusal("has a host longer than 253 bytes") }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.allSatisfy({ !$0.isEmpty }) else { throw Refusal("has an empty label in the host (or a trailing dot)") }
        // Browsers read a host whose last label is numeric as an IPv4 address (in decimal, octal or
        // hex, with 1 to 4 parts): only the plain dotted-quad form is accepted.
        let last = labels[labels.count - 1]
        if last.allSatisfy(isDigit) || (last.count >= 2 && last.first == UInt8(ascii: "0") && last.dropFirst().first == UInt8(ascii: "x")) {
            guard labels.count == 4, let octets = dottedQuad(labels) else {
                throw Refusal("has a numeric host that is not a dotted-quad IPv4 address")
            }
            return .ipv4(octets)
        }
        for label in labels {
            guard label.count <= 63, label.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { throw Refusal("has a host that is not a valid DNS name") }
        }
        return .name(String(decoding: bytes, as: UTF8.self))
    }

    static func dottedQuad(_ labels: [ArraySlice<UInt8>]) -> [UInt8]? {
        var octets: [UInt8] = []
        for label in labels {
            guard (1...3).contains(label.count), label.allSatisfy(isDigit),
                  label.count == 1 || label.first != UInt8(ascii: "0") else { return nil }
            let value = label.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            octets.append(UInt8(value))
        }
        return octets
    }

    static func parsePort(_ text: [UInt8]?, defaultPort: Int) throws(Refusal) -> Int? {
        guard let text else { return nil }
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(isDigit) else { throw Refusal("has an invalid port") }
        let value = text.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (1...65535).contains(value) else { throw Refusal("has a port outside 1-65535") }
        return value == defaultPort ? nil : value
    }

    /// Printable ASCII a URL may carry here. `\`, quotes, angle brackets, braces, `|`, `^` and the
    /// backtick are refused: parsers treat them differently.
    static func allowed(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        return !"\\\"<>`{}|^".utf8.contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    static func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(lowercase(byte)) }
    static func lowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}

/// IPv6 address text (RFC 4291 §2.2) on bytes: eight groups, `::` once, an IPv4 tail allowed; no zone id.
public enum IPv6Text {
    public static func parse(_ bytes: [UInt8]) -> [UInt16]? {
        guard !bytes.isEmpty, bytes.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var index = 0
        if bytes.starts(with: Array("::".utf8)) {
            sawGap = true
            index = 2
        } else if bytes.first == UInt8(ascii: ":") {
            return nil
        }
        while index < bytes.count {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            let piece = bytes[index..<end]
            if piece.contains(UInt8(ascii: ".")) {
                // An IPv4 tail: only at the very end.
                let parts = piece.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                guard end == bytes.count, parts.count == 4, let octets = MerchantURL.dottedQuad(parts) else { return nil }
                let groups = [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
                if sawGap { tail += groups } else { head += groups }
                index = end
                break
            }
            guard (1...4).contains(piece.count), piece.allSatisfy(MerchantURL.isHex) else { return nil }
            let value = piece.reduce(UInt16(0)) { $0 << 4 | UInt16(hexValue($1)) }
            if sawGap { tail.append(value) } else { head.append(value) }
            index = end
            if index < bytes.count {
                // Skip ':'; a second ':' right after is the gap.
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                    guard !sawGap else { return nil }
                    sawGap = true
                    index += 1
                } else if index == bytes.count {
                    return nil
                }
            }
        }
        let count = head.count + tail.count
        if sawGap {
            guard count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - count) + tail
        }
        return count == 8 ? head : nil
    }

    /// The RFC 5952 text: lower case, the longest run of two or more zero groups as `::`.
    public static func compressed(_ groups: [UInt16]) -> String {
        var bestStart = -1
        var bestLength = 1
        var start = -1
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start < 0 { start = index }
            } else if start >= 0 {
                if index - start > bestLength { bestStart = start; bestLength = index - start }
                start = -1
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return text.joined(separator: ":") }
        let left = text[..<bestStart].joined(separator: ":")
        let right = text[(bestStart + bestLength)...].joined(separator: ":")
        return left + "::" + right
    }

    static func hexValue(_ byte: UInt8) -> UInt8 {
        let lower = MerchantURL.lowercase(byte)
        return MerchantURL.isDigit(lower) ? lower - UInt8(ascii: "0") : lower - UInt8(ascii: "a") + 10
    }
}
