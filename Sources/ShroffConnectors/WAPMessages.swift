import Foundation

/// `application/x-www-form-urlencoded` as the WAP gateway posts notifications (`+` is a space).
/// Pure, so it can be fuzzed on its own.
public enum WAPForm {
    /// The fields, or nil when a key repeats or an escape is malformed: such a form is not what the
    /// provider signs, so it is refused rather than read one way of several.
    public static func parse(_ text: String) -> [String: String]? {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "",
                  fields.updateValue(value, forKey: key) == nil else { return nil }
        }
        return fields
    }

    static func decode(_ text: Substring) -> String? {
        PercentDecoding.decode(text, plusIsSpace: true)
    }
}

/// An XML answer of the WAP gateway (`<alipay><is_success>T</is_success>…</alipay>`).
public struct WAPXMLAnswer: Sendable {
    public let text: String

    public init(text: String) {
        self.text = text
    }

    public var isSuccess: Bool { value("is_success") == "T" }
    public var error: String? { value("error") }

    /// The text of the first `<name>…</name>` element (answers are small and flat enough).
    public func value(_ name: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }
}
