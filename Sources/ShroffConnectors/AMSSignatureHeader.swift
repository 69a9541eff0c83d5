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
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            guard fields.updateValue(pair[1].trimmingCharacters(in: .whitespaces), forKey: key) == nil else { return nil }
        }
        guard let algorithm = fields["algorithm"], algorithm.utf8.elementsEqual("RSA256".utf8),
              let encoded = fields["signature"], let base64 = encoded.removingPercentEncoding,
              let raw = Data(base64Encoded: base64), !raw.isEmpty else { return nil }
        return AMSSignatureHeader(algorithm: algorithm, keyVersion: fields["keyVersion"], signature: Array(raw))
    }
}
