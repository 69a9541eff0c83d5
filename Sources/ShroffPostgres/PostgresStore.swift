import Foundation
import PostgresNIO
import ShroffCore

/// Every store of the gateway on PostgreSQL. Several nodes may use one database at once: where a
/// decision depends on what was read, the row is locked (`FOR UPDATE`) or the write is made
/// conflict-safe (`ON CONFLICT`), and queued work is claimed with `FOR UPDATE SKIP LOCKED` leases.
public struct PostgresStore: MerchantStore, PaymentIntentStore, SecretStore, DatabaseProbe {
    let database: PostgresGatewayDatabase
    var logger: Logger { database.logger }

    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    /// Answers within 5 s or throws (a pool that cannot connect would otherwise wait).
    public func ping() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await database.withConnection { connection in
                    try await connection.query("SELECT 1", logger: logger).collect().count
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                throw PostgresPingTimeout()
            }
            try await group.next()
            group.cancelAll()
        }
    }

    @discardableResult
    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await database.withConnection { try await rows(query, on: $0) }
    }

    // MARK: Merchants

    public func createMerchant(_ merchant: Merchant) async throws -> Merchant {
        let rows = try await rows("""
            INSERT INTO merchants (
                name, client_id, api_key_hash, webhook_secret, h5_domain, default_notify_url, created_at, default_settlement_currency
            )
            VALUES (\(merchant.name), \(merchant.clientID), \(merchant.apiKeyHash), \(merchant.webhookSecret),
                    \(merchant.h5Domain), \(merchant.defaultNotifyURL), \(merchant.createdAt.millis), \(merchant.defaultSettlementCurrency))
            RETURNING uid
            """)
        guard let uid = try rows.first.map({ try Columns($0).int64("uid") }) else { throw StoredDataError(column: "merchants.uid") }
        var saved = merchant
        saved.uid = uid
        return saved
    }

    public func merchant(clientID: String) async throws -> Merchant? {
        try await rows("SELECT * FROM merchants WHERE client_id = \(clientID)").first.map(Rows.merchant)
    }

    public func merchant(uid: Int64) async throws -> Merchant? {
        try await rows("SELECT * FROM merchants WHERE uid = \(uid)").first.map(Rows.merchant)
    }

    public func merchantCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*)::BIGINT AS n FROM merchants").first.map { try Columns($0).int64("n") } ?? 0)
    }

    public func rotateWebhookSecret(uid: Int64, newSecret: String, previousValidUntil: Date) async throws -> Merchant? {
        try await rows("""
            UPDATE merchants SET previous_webhook_secret = webhook_secret,
                previous_webhook_secret_expires_at = \(previousValidUntil.millis), webhook_secret = \(newSecret)
            WHERE uid = \(uid)
            RETURNING *
            """).first.map(Rows.merchant)
    }

    public func setDefaultNotifyURL(uid: Int64, url: String?) async throws -> Merchant? {
        try await rows("UPDATE merchants SET default_notify_url = \(url) WHERE uid = \(uid) RETURNING *").first.map(Rows.merchant)
    }

    // MARK: Secrets

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        if let existing = try await rows("SELECT value FROM secrets WHERE name = \(name)").first {
            return try Columns(existing).bytes("value")
        }
        // Racing creators (on any node): the first insert wins, everyone reads the winner's bytes.
        let candidate = ByteBuffer(bytes: make())
        return try await database.withConnection { connection in
            try await rows("INSERT INTO secrets (name, value) VALUES (\(name), \(candidate)) ON CONFLICT (name) DO NOTHING", on: connection)
            guard let stored = try await rows("SELECT value FROM secrets WHERE name = \(name)", on: connection).first else {
                throw StoredDataError(column: "secrets.value")
            }
            return try Columns(stored).bytes("value")
        }
    }

    // MARK: Payment intents

    public func insert(_ intent: PaymentIntent) async throws -> InsertOutcome {
        let method = try Rows.encodeMethod(intent.method)
        return try await database.withConnection { connection in
            // Race-free on the UNIQUE (merchant_uid, merchant_order_id), whichever node inserts: a racing
            // insert waits for the first one's transaction and then does nothing.
            let inserted = try await rows("""
                INSERT INTO payment_intents (
                    order_id, merchant_uid, merchant_order_id, amount_minor, currency, description, notify_url,
                    return_url, method, status, next_action_type, next_action_url, create_time, expires_at, pay_time,
                    provider_payment_id, wallet_used, settle_currency, failure_code, refunded_minor,
                    request_fingerprint, updated_at, check_at, trade_link_closes_at, late_payment_time, next_action_details
                ) VALUES (
                    \(intent.orderID), \(intent.merchantUID), \(intent.merchantOrderID), \(intent.amount.minorUnits),
                    \(intent.amount.currency.code), \(intent.description), \(intent.notifyURL), \(intent.returnURL),
                    \(method), \(intent.status.rawValue), \(intent.nextAction?.type.rawValue), \(intent.nextAction?.url),
                    \(intent.createTime.millis), \(intent.expiresAt.millis), \(intent.payTime?.millis),
                    \(intent.providerPaymentID), \(intent.walletUsed), \(intent.settleCurrency), \(intent.failureCode),
                    \(intent.refundedMinorUnits), \(intent.requestFingerprint), \(Date().millis),
                    \((intent.firstCheckAt ?? intent.createTime).millis), \(intent.tradeLinkClosesAt?.millis),
                    \(intent.latePaymentTime?.millis), \(intent.nextAction?.storedDetails)
                )
                ON CONFLICT (merchant_uid, merchant_order_id) DO NOTHING
                RETURNING order_id
                """, on: connection)
            if !inserted.isEmpty { return .inserted(intent) }
            guard let existing = try await rows(
                "SELECT * FROM payment_intents WHERE merchant_uid = \(intent.merchantUID) AND merchant_order_id = \(intent.merchantOrderID)",
                on: connection
            ).first else { throw StoredDataError(column: "payment_intents.merchant_order_id") }
            return .existing(try Rows.intent(existing))
        }
    }

    public func intent(orderID: String) async throws -> PaymentIntent? {
        try await rows("SELECT * FROM payment_intents WHERE order_id = \(orderID)").first.map(Rows.intent)
    }

    public func intent(merchantUID: Int64, orderID: String) async throws -> PaymentIntent? {
        try await rows("SELECT * FROM payment_intents WHERE merchant_uid = \(merchantUID) AND order_id = \(orderID)")
            .first.map(Rows.intent)
    }

    public func intent(merchantUID: Int64, merchantOrderID: String) async throws -> PaymentIntent? {
        try await rows(
            "SELECT * FROM payment_intents WHERE merchant_uid = \(merchantUID) AND merchant_order_id = \(merchantOrderID)"
        ).first.map(Rows.intent)
    }

    public func transition(
        orderID: String,
        decide: @Sendable (PaymentIntent) -> PaymentTransition,
        makeEvent: @Sendable (PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> TransitionOutcome {
        try await database.transaction { connection in
            // The row lock serializes changes of one intent across nodes (and orders its outbox events).
            guard let row = try await rows("SELECT * FROM payment_intents WHERE order_id = \(orderID) FOR UPDATE", on: connection).first else {
                return .notFound
            }
            let current = try Rows.intent(row)
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else {
                return .unchanged(current, decision)
            }
            let check = Self.checkColumns(ProviderCheckChange.between(current, next, now: Date()))
            try await rows("""
                UPDATE payment_intents SET status = \(next.status.rawValue), next_action_type = \(next.nextAction?.type.rawValue),
                    next_action_url = \(next.nextAction?.url), pay_time = \(next.payTime?.millis),
                    provider_payment_id = \(next.providerPaymentID), wallet_used = \(next.walletUsed),
                    settle_currency = \(next.settleCurrency), failure_code = \(next.failureCode),
                    refunded_minor = \(next.refundedMinorUnits), trade_link_closes_at = \(next.tradeLinkClosesAt?.millis),
                    late_payment_time = \(next.latePaymentTime?.millis), next_action_details = \(next.nextAction?.storedDetails),
                    updated_at = \(Date().millis),
                    check_at = CASE WHEN \(check.keep) = 1 THEN check_at ELSE \(check.at) END
                WHERE order_id = \(orderID)
                """, on: connection)
            let event = notification.map { makeEvent(next, $0) }
            if let event { try await insertEvent(event, on: connection) }
            return .applied(next, event)
        }
    }

    /// The two values of `check_at = CASE WHEN keep = 1 THEN check_at ELSE at END`.
    static func checkColumns(_ change: ProviderCheckChange) -> (keep: Int64, at: Int64?) {
        switch change {
        case .keep: (1, nil)
        case .checkAt(let time): (0, time.millis)
        case .stop: (0, nil)
        }
    }

    /// Writes an outbox event; callers run it inside the transaction of the change that causes it,
    /// holding the intent's row lock (so an intent's events get increasing `seq` in commit order).
    func insertEvent(_ event: WebhookEvent, on connection: PostgresConnection) async throws {
        try await rows("""
            INSERT INTO webhook_events (id, merchant_uid, order_id, kind, body, created_at, notify_url, status, next_attempt_at)
            VALUES (\(event.id), \(event.merchantUID), \(event.orderID), \(event.kind.rawValue), \(event.body),
                    \(event.createdAt.millis), \(event.notifyURL), 'pending', \(event.createdAt.millis))
            """, on: connection)
    }

    public func webhookEvents(orderID: String) async throws -> [WebhookEvent] {
        try await rows("SELECT * FROM webhook_events WHERE order_id = \(orderID) ORDER BY seq").map(Rows.event)
    }
}

struct PostgresPingTimeout: Error, CustomStringConvertible {
    var description: String { "the database did not answer within 5 s" }
}
