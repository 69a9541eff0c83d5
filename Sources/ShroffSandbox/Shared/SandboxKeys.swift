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
    /// The MD5 key shared by the sandbox WAP gateway and its partner (the gateway).
    public let wapMD5Key: String

    /// Reads the key files in `folder`, creating any pair that is missing.
    public static func loadOrCreate(folder: String) throws -> SandboxKeyring {
        if !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let provider = try pair(folder: folder, name: "provider")
        let gateway = try pair(folder: folder, name: "gateway")
        return SandboxKeyring(
            providerPrivateKeyPEM: provider.privatePEM, providerPublicKeyPEM: provider.publicPEM,
            gatewayPrivateKeyPEM: gateway.privatePEM, gatewayPublicKeyPEM: gateway.publicPEM,
            wapMD5Key: try md5Key(folder: folder)
        )
    }

    /// 32 random lowercase alphanumerics, as the WAP gateway issues MD5 keys.
    static func md5Key(folder: String) throws -> String {
        let path = "\(folder)/wap_md5_key.txt"
        if let key = try? String(contentsOfFile: path, encoding: .utf8), key.count == 32 { return key }
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        let key = String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        try writePrivately(path, key)
        return key
    }

    /// Creates the file with mode 0600 from the start (no moment at the umask's mode).
    static func writePrivately(_ path: String, _ text: String) throws {
        _ = unlink(path)
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { _ = close(descriptor) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard result > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            written += result
        }
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
        try writePrivately(privatePath, privatePEM)
        try Data(publicPEM.utf8).write(to: URL(fileURLWithPath: publicPath))
        return (privatePEM, publicPEM)
    }
}
