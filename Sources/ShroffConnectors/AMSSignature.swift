import Crypto
import Foundation
import _CryptoExtras

/// Keys in the forms the providers hand out: base64 PKCS#8 (private) or X.509 SubjectPublicKeyInfo
/// (public), with or without PEM armour.
public enum RSAKeyText {
    public struct InvalidKey: Error, CustomStringConvertible {
        public let role: String
        /// Never includes the key material.
        public var description: String { "\(role) is not a valid RSA key (base64 PKCS#8 / X.509, 2048 bits or more)" }
    }

    public static func privateKey(_ text: String, role: String) throws -> _RSA.Signing.PrivateKey {
        guard let der = derBytes(text) else { throw InvalidKey(role: role) }
        do { return try _RSA.Signing.PrivateKey(derRepresentation: der) } catch { throw InvalidKey(role: role) }
    }

    public static func publicKey(_ text: String, role: String) throws -> _RSA.Signing.PublicKey {
        guard let der = derBytes(text) else { throw InvalidKey(role: role) }
        do { return try _RSA.Signing.PublicKey(derRepresentation: der) } catch { throw InvalidKey(role: role) }
    }

    static func derBytes(_ text: String) -> Data? {
        let base64 = text.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("-----") }
            .joined()
            .filter { !$0.isWhitespace }
        return Data(base64Encoded: base64)
    }
}

/// The AMS signature (providers.md §1): SHA256withRSA over `POST <path>\n<client-id>.<time>.<body>`,
/// carried as `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
public enum AMSSignature {
    public static func content(path: String, clientID: String, time: String, body: some Collection<UInt8>) -> Data {
        var content = Data("POST \(path)\n\(clientID).\(time).".utf8)
        content.append(contentsOf: body)
        return content
    }

    /// The `Signature` header value for a message.
    public static func header(
        signing body: some Collection<UInt8>, path: String, clientID: String, time: String,
        with key: _RSA.Signing.PrivateKey, keyVersion: String = "1"
    ) throws -> String {
        let signature = try key.signature(for: content(path: path, clientID: clientID, time: time, body: body), padding: .insecurePKCS1v1_5)
        return "algorithm=RSA256,keyVersion=\(keyVersion),signature=\(urlEncode(signature.rawRepresentation.base64EncodedString()))"
    }

    /// True when `header` carries a valid RSA256 signature of the message by `key`.
    public static func verify(
        header: String, body: some Collection<UInt8>, path: String, clientID: String, time: String,
        with key: _RSA.Signing.PublicKey
    ) -> Bool {
        guard let parsed = AMSSignatureHeader.parse(header) else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: parsed.signature),
            for: content(path: path, clientID: clientID, time: time, body: body),
            padding: .insecurePKCS1v1_5
        )
    }

    /// Standard base64's `+`, `/` and `=` percent-encoded, as the official SDKs write them (on bytes:
    /// Foundation's `addingPercentEncoding` went through CFString).
    static func urlEncode(_ base64: String) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(base64.utf8.count + 16)
        for byte in base64.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded.append(UInt8(ascii: "%"))
                encoded.append(Self.upperHex[Int(byte >> 4)])
                encoded.append(Self.upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)
}
