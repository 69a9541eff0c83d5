import Crypto
import Foundation
import _CryptoExtras

/// The provider's side of the AMS signature, written apart from the gateway's connector so that
/// one misreading of the protocol cannot hide in shared code. Checked against the same fixtures.
struct ProviderSigning: Sendable {
    let providerKey: _RSA.Signing.PrivateKey

    /// `POST <path>\n<client-id>.<time>.<body>`
    static func message(path: String, clientID: String, time: String, body: [UInt8]) -> [UInt8] {
        Array("POST \(path)\n".utf8) + Array("\(clientID).\(time).".utf8) + body
    }

    /// Value of a `signature` header: standard base64, then `+`, `/`, `=` percent-encoded.
    func signatureHeader(path: String, clientID: String, time: String, body: [UInt8]) throws -> String {
        let raw = try providerKey.signature(for: Self.message(path: path, clientID: clientID, time: time, body: body), padding: .insecurePKCS1v1_5)
        var value = ""
        for character in raw.rawRepresentation.base64EncodedString() {
            switch character {
            case "+": value += "%2B"
            case "/": value += "%2F"
            case "=": value += "%3D"
            default: value.append(character)
            }
        }
        return "algorithm=RSA256,keyVersion=1,signature=\(value)"
    }

    /// Checks a request's `Signature` header against the caller's public key.
    static func isValid(header: String, path: String, clientID: String, time: String, body: [UInt8], key: _RSA.Signing.PublicKey) -> Bool {
        var algorithm: Substring?
        var encoded: Substring?
        for item in header.split(separator: ",") {
            let trimmed = item.drop(while: { $0 == " " })
            if trimmed.hasPrefix("algorithm=") { algorithm = trimmed.dropFirst("algorithm=".count) }
            if trimmed.hasPrefix("signature=") { encoded = trimmed.dropFirst("signature=".count) }
        }
        guard algorithm == "RSA256", let encoded, let decoded = String(encoded).removingPercentEncoding,
              let raw = Data(base64Encoded: decoded) else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: raw),
            for: message(path: path, clientID: clientID, time: time, body: body),
            padding: .insecurePKCS1v1_5
        )
    }
}
