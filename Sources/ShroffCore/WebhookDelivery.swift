import Crypto
import Foundation

/// Where a webhook event stands. An event is `pending` until a receiver answers 2xx (`succeeded`),
/// retries run out (`failed`), or there is nowhere to send it (`no_endpoint`: no notify_url on the
/// intent and no default notify URL on the merchant).
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case succeeded
    case failed
    case noEndpoint = "no_endpoint"
}

/// One delivery attempt as recorded for the merchant to audit.
public struct DeliveryAttempt: Sendable, Equatable {
    public let eventID: String
    public let number: Int
    public let startedAt: Date
    public let url: String
    /// The receiver's HTTP status, nil when there was no HTTP answer.
    public let httpStatus: Int?
    public let latencyMilliseconds: Int64
    /// Why the attempt failed (timeout, connection refused, non-2xx, refused target); nil on success.
    public let error: String?

    public init(eventID: String, number: Int, startedAt: Date, url: String, httpStatus: Int?, latencyMilliseconds: Int64, error: String?) {
        self.eventID = eventID
        self.number = number
        self.startedAt = startedAt
        self.url = url
        self.httpStatus = httpStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}

/// How much of the outbox is waiting: what an operator watches to see webhooks backing up.
public struct OutboxBacklog: Sendable, Equatable {
    /// Events not delivered yet that are still being tried.
    public var pending: Int
    /// When the oldest pending event was written; nil when nothing is pending.
    public var oldestPendingCreatedAt: Date?
    /// Events whose retries ran out; they stay failed until the merchant replays them.
    public var failed: Int

    public init(pending: Int, oldestPendingCreatedAt: Date?, failed: Int) {
        self.pending = pending
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
        self.failed = failed
    }
}

/// A webhook event with its delivery state.
public struct WebhookDelivery: Sendable, Equatable {
    public var event: WebhookEvent
    public var status: DeliveryStatus
    public var attemptCount: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var completedAt: Date?
    /// The store's position of the event, for cursors and per-intent order.
    public var sequence: Int64

    public init(
        event: WebhookEvent, status: DeliveryStatus, attemptCount: Int, nextAttemptAt: Date?,
        lastError: String?, completedAt: Date?, sequence: Int64
    ) {
        self.event = event
        self.status = status
        self.attemptCount = attemptCount
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.completedAt = completedAt
        self.sequence = sequence
    }
}

/// A due delivery claimed by one dispatcher, with what it needs to sign and send it.
public struct DeliveryJob: Sendable, Equatable {
    public let delivery: WebhookDelivery
    /// The URL to call now (the event's notify_url or the merchant's default); nil when neither exists.
    public let url: String?
    /// The merchant's signing secrets: the current one first, then one in its rotation grace period.
    public let secrets: [String]

    public init(delivery: WebhookDelivery, url: String?, secrets: [String]) {
        self.delivery = delivery
        self.url = url
        self.secrets = secrets
    }
}

/// How much a dispatcher asks of the outbox in one claim: only work it can start at once, so that
/// one merchant's backlog (or one dead endpoint's) cannot fill the claim and leave others waiting.
public struct DeliveryClaimLimits: Sendable, Equatable {
    /// At most this many deliveries in all.
    public var limit: Int
    /// At most this many of one merchant, for merchants not in `merchantRoom`.
    public var perMerchant: Int
    /// Merchants with attempts already in flight: at most this many more of theirs (0: none).
    public var merchantRoom: [Int64: Int]
    /// At most this many to one target URL, for URLs not in `urlRoom`.
    public var perURL: Int
    /// Target URLs with attempts already in flight: at most this many more to each (0: none).
    public var urlRoom: [String: Int]

    /// `perURL` nil: no limit per target URL beyond `limit`.
    public init(limit: Int, perMerchant: Int, merchantRoom: [Int64: Int] = [:], perURL: Int? = nil, urlRoom: [String: Int] = [:]) {
        self.limit = limit
        self.perMerchant = perMerchant
        self.merchantRoom = merchantRoom
        self.perURL = perURL ?? limit
        self.urlRoom = urlRoom
    }
}

/// What to do with a delivery after an attempt: decided by `WebhookRetryPolicy`, stored with the attempt.
public enum DeliveryDecision: Sendable, Equatable {
    case succeeded(at: Date)
    case retry(at: Date, error: String)
    case failed(at: Date, error: String)
    case noEndpoint(at: Date)
}

/// Filters of `webhooks/deliveries/list`.
public struct DeliveryFilter: Sendable, Equatable {
    public var orderID: String?
    public var status: DeliveryStatus?
    public var createdFrom: Date?
    public var createdTo: Date?
    /// Only events after this sequence number (the cursor of the previous page).
    public var after: Int64?
    public var limit: Int

    public init(orderID: String? = nil, status: DeliveryStatus? = nil, createdFrom: Date? = nil, createdTo: Date? = nil, after: Int64? = nil, limit: Int = 20) {
        self.orderID = orderID
        self.status = status
        self.createdFrom = createdFrom
        self.createdTo = createdTo
        self.after = after
        self.limit = limit
    }
}

/// The retry schedule of webhook deliveries: exponential backoff with jitter, at least 8 attempts
/// over at least 24 hours; a receiver's `Retry-After` (on 429/503) is honoured when it asks for longer.
public struct WebhookRetryPolicy: Sendable, Equatable {
    /// Waits after the 1st, 2nd, … failed attempt; the delivery fails after the last one is used up.
    public let delays: [Duration]
    /// Each wait is lengthened by up to this fraction, at random, so receivers that failed together
    /// are not retried together. Only lengthened, so the schedule never drops below 24 h in total.
    public let jitter: Double
    /// The longest `Retry-After` honoured.
    public let maximumRetryAfter: Duration

    /// Attempts at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: 8 attempts over
    /// 27.6 hours (jitter only adds), the schedule Svix uses.
    public static let standard = WebhookRetryPolicy(
        delays: [.seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000), .seconds(36_000)],
        jitter: 0.1, maximumRetryAfter: .seconds(6 * 3600)
    )

    public init(delays: [Duration], jitter: Double, maximumRetryAfter: Duration) {
        self.delays = delays
        self.jitter = jitter
        self.maximumRetryAfter = maximumRetryAfter
    }

    public var maximumAttempts: Int { delays.count + 1 }

    /// The decision after attempt number `attempt` (1-based) ended at `now`.
    /// - Parameter random: a number in 0..<1 choosing the jitter (injected, so tests are exact).
    public func decision(afterAttempt attempt: Int, error: String?, retryAfterSeconds: Int?, now: Date, random: Double) -> DeliveryDecision {
        guard let error else { return .succeeded(at: now) }
        guard attempt >= 1, attempt <= delays.count else { return .failed(at: now, error: error) }
        var wait = delays[attempt - 1] * (1 + jitter * min(max(random, 0), 1))
        if let retryAfterSeconds, retryAfterSeconds > 0 {
            wait = max(wait, min(.seconds(retryAfterSeconds), maximumRetryAfter))
        }
        return .retry(at: now.addingTimeInterval(wait.timeInterval), error: error)
    }
}

extension Duration {
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// Standard Webhooks signatures (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` = `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the key
/// is the base64 part of the `whsec_` secret. Several secrets (during a rotation) give several
/// signatures, space-separated.
public enum StandardWebhookSignature {
    public struct InvalidSecret: Error, CustomStringConvertible {
        public var description: String { "webhook secret is not whsec_ followed by base64" }
    }

    public static func key(fromSecret secret: String) throws -> SymmetricKey {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw InvalidSecret() }
        return SymmetricKey(data: bytes)
    }

    public static func signature(id: String, timestamp: Int64, body: some DataProtocol, key: SymmetricKey) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers for one attempt.
    public static func headers(id: String, timestamp: Int64, body: String, secrets: [String]) throws -> [(String, String)] {
        let signatures = try secrets.map { signature(id: id, timestamp: timestamp, body: Data(body.utf8), key: try key(fromSecret: $0)) }
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signatures.joined(separator: " ")),
        ]
    }
}
