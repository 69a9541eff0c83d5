import Foundation
import _CryptoExtras

/// Reading the RSA keys of the sandbox's configuration, shared by the AMS provider and the WAP gateway.
enum SandboxRSAKeys {
    /// A public key given as PEM or as bare base64 of its X.509 (DER) form.
    static func publicKey(_ text: String) -> _RSA.Signing.PublicKey? {
        if text.contains("-----BEGIN") { return try? _RSA.Signing.PublicKey(pemRepresentation: text) }
        return Data(base64Encoded: text.filter { !$0.isWhitespace }).flatMap { try? _RSA.Signing.PublicKey(derRepresentation: $0) }
    }

    /// The provider's private key (PEM); the error names `owner` and never the key material.
    static func privateKey(_ pem: String, owner: String) throws -> _RSA.Signing.PrivateKey {
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw SandboxSetupError(description: "\(owner) private key is not a valid RSA PEM key")
        }
        return key
    }
}
