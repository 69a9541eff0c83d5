import Crypto
import Foundation

/// A merchant account. The API key is kept only as a SHA-256 hash (it is 32 random bytes, so a
/// slow hash adds nothing); the webhook secret must be kept to sign webhooks.
public struct Merchant: Sendable, Equatable {
    public var uid: Int64
    public var name: String
    public var clientID: String
    public var apiKeyHash: String
    public var webhookSecret: String
    public var h5Domain: String?
    public var defaultNotifyURL: String?
    public var createdAt: Date
    /// The secret replaced by the last rotation, still used to sign until `previousWebhookSecretExpiresAt`.
    public var previousWebhookSecret: String?
    public var previousWebhookSecretExpiresAt: Date?
    /// Where an intent that names no settlement currency settles (seed 000); HKD unless set.
    public var defaultSettlementCurrency: String
    /// When the operator disabled the merchant: it can no longer sign in or call the API.
    public var disabledAt: Date?

    public init(
        uid: Int64, name: String, clientID: String, apiKeyHash: String, webhookSecret: String,
        h5Domain: String?, defaultNotifyURL: String?, createdAt: Date,
        previousWebhookSecret: String? = nil, previousWebhookSecretExpiresAt: Date? = nil,
        defaultSettlementCurrency: String = Merchant.standardSettlementCurrency, disabledAt: Date? = nil
    ) {
        self.uid = uid
        self.name = name
        self.clientID = clientID
        self.apiKeyHash = apiKeyHash
        self.webhookSecret = webhookSecret
        self.h5Domain = h5Domain
        self.defaultNotifyURL = defaultNotifyURL
        self.createdAt = createdAt
        self.previousWebhookSecret = previousWebhookSecret
        self.previousWebhookSecretExpiresAt = previousWebhookSecretExpiresAt
        self.defaultSettlementCurrency = defaultSettlementCurrency
        self.disabledAt = disabledAt
    }

    public var isDisabled: Bool { disabledAt != nil }

    public static let standardSettlementCurrency = "HKD"
}

/// A merchant's webhook signing secrets: the current one and, after a rotation, the one it replaced
/// with the end of its grace period.
public struct WebhookSigningSecrets: Sendable, Equatable {
    public var current: String
    public var previous: String?
    public var previousExpiresAt: Date?

    public init(current: String, previous: String?, previousExpiresAt: Date?) {
        self.current = current
        self.previous = previous
        self.previousExpiresAt = previousExpiresAt
    }

    /// The secrets webhooks are signed with at `now`: the current one, and the previous one during
    /// its grace period.
    public func active(at now: Date) -> [String] {
        guard let previous, let previousExpiresAt, previousExpiresAt > now else { return [current] }
        return [current, previous]
    }
}

/// Credentials of a new merchant, shown once.
public struct MerchantCredentials: Sendable, Codable, Equatable {
    public let clientID: String
    public let apiKey: String
    public let webhookSecret: String
    public let uid: Int64

    public init(clientID: String, apiKey: String, webhookSecret: String, uid: Int64) {
        self.clientID = clientID
        self.apiKey = apiKey
        self.webhookSecret = webhookSecret
        self.uid = uid
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case apiKey = "api_key"
        case webhookSecret = "webhook_secret"
        case uid
    }
}

public enum MerchantFactory {
    /// Makes a merchant with fresh credentials. `uid` is assigned by the store.
    public static func make(
        name: String, h5Domain: String?, settlementCurrency: String = Merchant.standardSettlementCurrency, now: Date
    ) -> (Merchant, apiKey: String) {
        let clientID = "mch_" + randomHex(bytes: 12)
        let apiKey = "sk_" + randomHex(bytes: 32)
        let webhookSecret = newWebhookSecret()
        let merchant = Merchant(
            uid: 0, name: name, clientID: clientID, apiKeyHash: hashAPIKey(apiKey), webhookSecret: webhookSecret,
            h5Domain: h5Domain?.lowercased(), defaultNotifyURL: nil, createdAt: now,
            defaultSettlementCurrency: settlementCurrency
        )
        return (merchant, apiKey)
    }

    /// `whsec_` + base64 of 32 random bytes (the Standard Webhooks form).
    public static func newWebhookSecret() -> String {
        "whsec_" + Data(randomBytes(32)).base64EncodedString()
    }

    public static func hashAPIKey(_ apiKey: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(apiKey.utf8)))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func randomHex(bytes: Int) -> String {
        Hex.lowercase(randomBytes(bytes))
    }
}
