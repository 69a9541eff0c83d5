import Foundation

/// How a request or answer body is kept in the request log: parsed as JSON, the values of secret keys
/// replaced, written again with sorted keys and cut to 8 KiB on a UTF-8 boundary. Anything that is
/// not a JSON document within the nesting limit is kept only as its size.
public enum RequestLogRedaction {
    /// Keys whose values are never stored, at any depth.
    public static let secretKeys: Set<String> = ["api_key", "token", "access_token", "webhook_secret", "secret", "signature"]
    public static let maximumBytes = 8 * 1024
    public static let redacted = "[redacted]"

    /// The stored form of `bytes` (`total` is the body's real size when only a prefix was kept).
    public static func body(_ bytes: [UInt8], total: Int? = nil) -> String {
        let size = total ?? bytes.count
        guard size > 0 else { return "" }
        guard size == bytes.count, JSONLimits.depth(of: bytes) <= JSONLimits.maximumDepth,
              let document = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            return "[not JSON, \(size) bytes]"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let encoded = try? encoder.encode(redact(document)) else { return "[not JSON, \(size) bytes]" }
        return truncated(String(decoding: encoded, as: UTF8.self))
    }

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            .object(Dictionary(uniqueKeysWithValues: fields.map { key, value in
                (key, secretKeys.contains(key.lowercased()) ? .string(redacted) : redact(value))
            }))
        case .array(let items):
            .array(items.map(redact))
        default:
            value
        }
    }

    /// `text` cut to `maximumBytes` of UTF-8 (marker included), never inside a character's bytes.
    public static func truncated(_ text: String) -> String {
        guard text.utf8.count > maximumBytes else { return text }
        let marker = "…[truncated]"
        var kept = String.UnicodeScalarView()
        var size = 0
        for scalar in text.unicodeScalars {
            let length = String(scalar).utf8.count
            guard size + length <= maximumBytes - marker.utf8.count else { break }
            kept.append(scalar)
            size += length
        }
        return String(kept) + marker
    }
}
