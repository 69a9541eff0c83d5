import Crypto
import Foundation
import ShroffCore

/// Bearer tokens for merchants: `v1.<payload>.<mac>`, HMAC-SHA256 with a key kept in the database,
/// so every node accepts every node's tokens, also after a restart, until they expire.
struct TokenIssuer: Sendable {
    struct Claims: Codable, Equatable {
        let merchantUID: Int64
        let expiresAt: Int64
        let nonce: String

        enum CodingKeys: String, CodingKey {
            case merchantUID = "uid"
            case expiresAt = "exp"
            case nonce = "n"
        }
    }

    /// Why a token was refused; safe to show (never echoes the token).
    enum Refusal: Error, CustomStringConvertible {
        case malformed, badSignature, expired
        var description: String {
            switch self {
            case .malformed: "the token is malformed"
            case .badSignature: "the token is not valid"
            case .expired: "the token has expired; log in again"
            }
        }
    }

    let key: SymmetricKey
    let lifetimeSeconds: Int64
    let now: @Sendable () -> Date

    static func load(from secrets: any SecretStore, lifetimeSeconds: Int64, now: @escaping @Sendable () -> Date) async throws -> TokenIssuer {
        let bytes = try await secrets.secret(named: "token-signing-key-v1") {
            var generator = SystemRandomNumberGenerator()
            return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        return TokenIssuer(key: SymmetricKey(data: bytes), lifetimeSeconds: lifetimeSeconds, now: now)
    }

    func issue(for merchantUID: Int64) throws -> (token: String, expiresAt: Date) {
        let expiresAt = Int64(now().timeIntervalSince1970) + lifetimeSeconds
        var generator = SystemRandomNumberGenerator()
        let claims = Claims(merchantUID: merchantUID, expiresAt: expiresAt, nonce: String(generator.next() as UInt64, radix: 36))
        let payload = Self.base64URL(try JSONEncoder().encode(claims))
        let mac = Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data("v1.\(payload)".utf8), using: key)))
        return ("v1.\(payload).\(mac)", Date(timeIntervalSince1970: TimeInterval(expiresAt)))
    }

    func verify(_ token: String) throws(Refusal) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let mac = Self.fromBase64URL(parts[2]),
              let payload = Self.fromBase64URL(parts[1]) else { throw .malformed }
        // Constant-time comparison of the MAC.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data("v1.\(parts[1])".utf8), using: key) else {
            throw .badSignature
        }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payload) else { throw .malformed }
        guard claims.expiresAt > Int64(now().timeIntervalSince1970) else { throw .expired }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
