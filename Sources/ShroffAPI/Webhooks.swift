/// One delivery attempt of a webhook (the document's `Attempt` schema).
public struct WebhookAttempt: Sendable, Equatable, Codable {
    public let attempt: Int
    public let time: String
    public let url: String
    public let httpStatus: Int?
    public let latencyMs: Int
    public let error: String?

    public init(attempt: Int, time: String, url: String, httpStatus: Int?, latencyMs: Int, error: String?) {
        self.attempt = attempt
        self.time = time
        self.url = url
        self.httpStatus = httpStatus
        self.latencyMs = latencyMs
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case attempt, time, url, error
        case httpStatus = "http_status"
        case latencyMs = "latency_ms"
    }
}

/// A webhook event and its delivery (the document's `Delivery` schema).
public struct WebhookDelivery: Sendable, Equatable, Codable {
    public let webhookID: String
    public let notifyType: String
    public let orderID: String
    /// pending, delivered or failed.
    public let status: String
    public let notifyURL: String?
    public let createdAt: String
    /// While pending: when the next attempt is due.
    public let nextAttemptAt: String?
    public let completedAt: String?
    public let lastError: String?
    public let attemptCount: Int
    public let attempts: [WebhookAttempt]
    /// The delivered body, exactly as JSON text would carry it.
    public let payload: RawJSON?

    public init(
        webhookID: String, notifyType: String, orderID: String, status: String, notifyURL: String?, createdAt: String,
        nextAttemptAt: String?, completedAt: String?, lastError: String?, attemptCount: Int, attempts: [WebhookAttempt],
        payload: RawJSON?
    ) {
        self.webhookID = webhookID
        self.notifyType = notifyType
        self.orderID = orderID
        self.status = status
        self.notifyURL = notifyURL
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.completedAt = completedAt
        self.lastError = lastError
        self.attemptCount = attemptCount
        self.attempts = attempts
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case status, attempts, payload
        case webhookID = "webhook_id"
        case notifyType = "notify_type"
        case orderID = "order_id"
        case notifyURL = "notify_url"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case completedAt = "completed_at"
        case lastError = "last_error"
        case attemptCount = "attempt_count"
    }
}

/// A page of `webhooks/deliveries/list` (the document's `DeliveryPage` schema).
public struct WebhookDeliveryPage: Sendable, Equatable, Codable {
    public let deliveries: [WebhookDelivery]
    public let hasMore: Bool
    public let nextCursor: String?

    public init(deliveries: [WebhookDelivery], hasMore: Bool, nextCursor: String?) {
        self.deliveries = deliveries
        self.hasMore = hasMore
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case deliveries
        case hasMore = "has_more"
        case nextCursor = "next_cursor"
    }
}

/// `webhooks/secret/rotate`'s answer: the new secret, shown this once (the document's `SecretRotation`).
public struct WebhookSecretRotation: Sendable, Equatable, Codable {
    public let webhookSecret: String
    public let previousSecretExpiresAt: String

    public init(webhookSecret: String, previousSecretExpiresAt: String) {
        self.webhookSecret = webhookSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }

    enum CodingKeys: String, CodingKey {
        case webhookSecret = "webhook_secret"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }
}

/// The merchant's webhook settings (the document's `WebhookSettings` schema).
public struct WebhookSettings: Sendable, Equatable, Codable {
    public let defaultNotifyURL: String?
    /// While the previous secret still verifies: until when.
    public let previousSecretExpiresAt: String?

    public init(defaultNotifyURL: String?, previousSecretExpiresAt: String?) {
        self.defaultNotifyURL = defaultNotifyURL
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }

    enum CodingKeys: String, CodingKey {
        case defaultNotifyURL = "default_notify_url"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Always present, null when unset, so a merchant sees the setting exists.
        try container.encode(defaultNotifyURL, forKey: .defaultNotifyURL)
        try container.encodeIfPresent(previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
    }
}
