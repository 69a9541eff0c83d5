import Crypto
import Foundation
import _CryptoExtras

/// How WAP gateway messages are signed (providers.md §2): a per-deployment choice.
public enum WAPSignType: Sendable {
    /// MD5 with the partner's shared key (both directions).
    case md5(key: String)
    /// SHA256withRSA: the gateway signs with its private key, the provider with its own.
    case rsa2(merchantPrivateKey: _RSA.Signing.PrivateKey, providerPublicKey: _RSA.Signing.PublicKey)

    public var name: String {
        switch self {
        case .md5: "MD5"
        case .rsa2: "RSA2"
        }
    }
}

/// The WAP gateway's signing rule: every parameter but `sign` and `sign_type`, empty values left
/// out, sorted by key in ASCII order, joined `k=v&k=v` with raw values.
public enum WAPSignature {
    public static func content(_ parameters: [String: String]) -> String {
        parameters
            .filter { $0.key != "sign" && $0.key != "sign_type" && !$0.value.isEmpty }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    /// The `sign` value of the gateway's own request.
    public static func sign(_ parameters: [String: String], with signType: WAPSignType) throws -> String {
        let text = content(parameters)
        switch signType {
        case .md5(let key):
            return md5Hex(text + key)
        case .rsa2(let privateKey, _):
            let signature = try privateKey.signature(for: Data(text.utf8), padding: .insecurePKCS1v1_5)
            return signature.rawRepresentation.base64EncodedString()
        }
    }

    /// Whether a message from the provider carries a valid `sign` (constant-time for MD5).
    public static func verify(_ parameters: [String: String], with signType: WAPSignType) -> Bool {
        guard let sign = parameters["sign"], !sign.isEmpty else { return false }
        let text = content(parameters)
        switch signType {
        case .md5(let key):
            let expected = Array(md5Hex(text + key).utf8)
            let given = Array(sign.lowercased().utf8)
            guard expected.count == given.count else { return false }
            return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        case .rsa2(_, let publicKey):
            guard let raw = Data(base64Encoded: sign) else { return false }
            return publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: raw), for: Data(text.utf8), padding: .insecurePKCS1v1_5
            )
        }
    }

    static func md5Hex(_ text: String) -> String {
        Insecure.MD5.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `k=v&…` with values percent-encoded, for a URL query or a form body.
    public static func query(_ parameters: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }
            .joined(separator: "&")
    }
}
