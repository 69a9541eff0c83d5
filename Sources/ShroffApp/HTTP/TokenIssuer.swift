import Crypto
import Foundation
import ShroffCore

/// Bearer tokens for merchants: `v2.<payload>.<mac>`, HMAC-SHA256 with a key kept in the database,
/// so every node accepts every node's tokens, also after a restart, until they expire. The payload is
/// 24 bytes (merchant uid, expiry in seconds, a nonce; big-endian) in unpadded base64url, read without
/// a JSON decoder because every authenticated request verifies one. (`v1` tokens, with a JSON
/// payload, are refused as malformed: a client logs in again, as the SDK does on any 40100.)
struct TokenIssuer: Sendable {
    struct Claims: Equatable {
        let merchantUID: Int64
        let expiresAt: Int64
        let nonce: UInt64

        var bytes: [UInt8] { Self.bigEndian(UInt64(bitPattern: merchantUID)) + Self.bigEndian(UInt64(bitPattern: expiresAt)) + Self.bigEndian(nonce) }

        init(merchantUID: Int64, expiresAt: Int64, nonce: UInt64) {
            self.merchantUID = merchantUID
            self.expiresAt = expiresAt
            self.nonce = nonce
        }

        init?(bytes: [UInt8]) {
            guard bytes.count == 24 else { return nil }
            func word(_ index: Int) -> UInt64 { bytes[index..<index + 8].reduce(0) { $0 << 8 | UInt64($1) } }
            self.init(merchantUID: Int64(bitPattern: word(0)), expiresAt: Int64(bitPattern: word(8)), nonce: word(16))
        }

        private static func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
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

    private static let version = Array("v2.".utf8)

    func issue(for merchantUID: Int64) throws -> (token: String, expiresAt: Date) {
        let expiresAt = Int64(now().timeIntervalSince1970) + lifetimeSeconds
        var generator = SystemRandomNumberGenerator()
        let claims = Claims(merchantUID: merchantUID, expiresAt: expiresAt, nonce: generator.next())
        let signed = Self.version + Base64URL.encode(claims.bytes)
        let mac = Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: signed, using: key)))
        return (String(decoding: signed + [UInt8(ascii: ".")] + mac, as: UTF8.self), Date(timeIntervalSince1970: TimeInterval(expiresAt)))
    }

    func verify(_ token: String) throws(Refusal) -> Claims {
        let bytes = Array(token.utf8)
        // "v2." + 32 characters of payload + "." + 43 of MAC.
        guard bytes.count == 79, bytes.starts(with: Self.version), bytes[35] == UInt8(ascii: "."),
              let payload = Base64URL.decode(bytes[3..<35]), let mac = Base64URL.decode(bytes[36...]),
              let claims = Claims(bytes: payload) else { throw .malformed }
        // Constant-time comparison of the MAC.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: bytes[0..<35], using: key) else {
            throw .badSignature
        }
        guard claims.expiresAt > Int64(now().timeIntervalSince1970) else { throw .expired }
        return claims
    }
}

/// Unpadded base64url (RFC 4648 §5), on bytes.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0...count { out.append(alphabet[Int(group >> (18 - 6 * UInt32(position)) & 0x3F)]) }
            index += 3
        }
        return out
    }

    /// The bytes, or nil for a character outside the alphabet, a length no encoding has, or
    /// leftover bits that are not zero (so each byte string has exactly one encoding).
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in text {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return accumulator == 0 ? out : nil
    }
}
