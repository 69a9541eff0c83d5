import Foundation

/// The `Signature` header of AMS messages: `algorithm=RSA256,keyVersion=1,signature=<url-encoded
/// base64>`. Pure, so it can be fuzzed on its own.
public struct AMSSignatureHeader: Sendable, Equatable {
    public let algorithm: String
    public let keyVersion: String?
    public let signature: [UInt8]

    /// nil unless the header names RSA256 and carries a decodable signature. A repeated field makes
    /// the header ambiguous and is refused.
    public static func parse(_ header: String) -> AMSSignatureHeader? {
        guard header.utf8.count <= 4096 else { return nil }
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = trimmingSpaces(pair[0])
            guard fields.updateValue(trimmingSpaces(pair[1]), forKey: key) == nil else { return nil }
        }
        guard let algorithm = fields["algorithm"], algorithm.utf8.elementsEqual("RSA256".utf8),
              let encoded = fields["signature"], let base64 = PercentDecoding.decode(encoded),
              let raw = Data(base64Encoded: base64), !raw.isEmpty else { return nil }
        return AMSSignatureHeader(algorithm: algorithm, keyVersion: fields["keyVersion"], signature: Array(raw))
    }

    /// Without the spaces around it: tabs and the Unicode space separators (`CharacterSet.whitespaces`).
    static func trimmingSpaces(_ text: Substring) -> String {
        let scalars = text.unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
