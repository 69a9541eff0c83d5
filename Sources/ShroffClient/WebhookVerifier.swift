import Crypto
import Foundation

/// Verifies the webhooks Shroff sends, per the Standard Webhooks specification: the
/// `webhook-signature` header holds one or more space-separated `v1,<base64 HMAC-SHA256>` signatures
/// of `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed with the base64 part of the `whsec_` secret.
///
/// ```swift
/// let verifier = try WebhookVerifier(secret: "whsec_...")
/// let event = try verifier.verify(body: bodyBytes, headers: ["webhook-id": ..., ...])
/// ```
public struct WebhookVerifier: Sendable {
    /// Why a webhook was refused. Never contains the secret.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidSecret
        case missingHeader(String)
        case invalidTimestamp
        case timestampOutOfTolerance
        case noMatchingSignature

        public var description: String {
            switch self {
            case .invalidSecret: "the webhook secret is not whsec_ followed by base64"
            case .missingHeader(let name): "the \(name) header is missing"
            case .invalidTimestamp: "webhook-timestamp is not a number of seconds"
            case .timestampOutOfTolerance: "webhook-timestamp is too far from now (replayed or clock skew)"
            case .noMatchingSignature: "no signature in webhook-signature matches"
            }
        }
    }

    /// A verified webhook: its stable id (deduplicate on it) and its JSON body.
    public struct Event: Sendable, Equatable {
        public let id: String
        public let timestamp: Date
        public let notifyType: String?
        public let body: Data
    }

    private let key: SymmetricKey
    /// How far `webhook-timestamp` may be from the receiver's clock (replay protection); 5 minutes
    /// as the specification recommends.
    public let tolerance: TimeInterval

    public init(secret: String, tolerance: TimeInterval = 300) throws {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw Failure.invalidSecret }
        key = SymmetricKey(data: bytes)
        self.tolerance = tolerance
    }

    /// Checks a received webhook. `headers` are looked up without regard to case.
    public func verify(body: Data, headers: [String: String], now: Date = Date()) throws(Failure) -> Event {
        let lowercased = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let id = lowercased["webhook-id"] else { throw .missingHeader("webhook-id") }
        guard let timestampText = lowercased["webhook-timestamp"] else { throw .missingHeader("webhook-timestamp") }
        guard let signatures = lowercased["webhook-signature"] else { throw .missingHeader("webhook-signature") }
        guard let seconds = Int64(timestampText) else { throw .invalidTimestamp }
        let timestamp = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard abs(timestamp.timeIntervalSince(now)) <= tolerance else { throw .timestampOutOfTolerance }

        var content = Data("\(id).\(seconds).".utf8)
        content.append(body)
        let matched = signatures.split(separator: " ").contains { candidate in
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])) else { return false }
            // Constant-time comparison.
            return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key)
        }
        guard matched else { throw .noMatchingSignature }
        let notifyType = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["notify_type"] as? String
        return Event(id: id, timestamp: timestamp, notifyType: notifyType, body: body)
    }
}

/// Signs a webhook the way Shroff does (Standard Webhooks), e.g. to forward events to a local
/// endpoint that verifies them with the merchant's secret (`shroff listen`), or in tests.
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    public init(secret: String) throws {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw WebhookVerifier.Failure.invalidSecret }
        key = SymmetricKey(data: bytes)
    }

    /// The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers for `body`.
    public func headers(id: String, body: Data, at time: Date = Date()) -> [(String, String)] {
        let timestamp = Int64(time.timeIntervalSince1970)
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", "v1," + Data(mac).base64EncodedString())]
    }
}
