import Crypto
import Foundation
import _CryptoExtras

/// The RSA key pairs of a sandbox deployment, generated on first start and kept as PEM files in
/// the data folder: the provider's pair (it signs answers and notifications) and the pair of the
/// gateway that talks to it (the gateway signs requests).
public struct SandboxKeyring: Sendable {
    public let providerPrivateKeyPEM: String
    public let providerPublicKeyPEM: String
    public let gatewayPrivateKeyPEM: String
    public let gatewayPublicKeyPEM: String

    /// Reads the key files in `folder`, creating any pair that is missing.
    public static func loadOrCreate(folder: String) throws -> SandboxKeyring {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let provider = try pair(folder: folder, name: "provider")
        let gateway = try pair(folder: folder, name: "gateway")
        return SandboxKeyring(
            providerPrivateKeyPEM: provider.privatePEM, providerPublicKeyPEM: provider.publicPEM,
            gatewayPrivateKeyPEM: gateway.privatePEM, gatewayPublicKeyPEM: gateway.publicPEM
        )
    }

    static func pair(folder: String, name: String) throws -> (privatePEM: String, publicPEM: String) {
        let privatePath = "\(folder)/\(name)_private_key.pem"
        let publicPath = "\(folder)/\(name)_public_key.pem"
        if let privatePEM = try? String(contentsOfFile: privatePath, encoding: .utf8),
           let publicPEM = try? String(contentsOfFile: publicPath, encoding: .utf8) {
            return (privatePEM, publicPEM)
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let privatePEM = key.pkcs8PEMRepresentation
        let publicPEM = key.publicKey.pemRepresentation
        _ = FileManager.default.createFile(atPath: privatePath, contents: Data(privatePEM.utf8), attributes: [.posixPermissions: 0o600])
        try Data(publicPEM.utf8).write(to: URL(fileURLWithPath: publicPath))
        return (privatePEM, publicPEM)
    }
}
