import Foundation
import NIOCore
import ShroffCore
import SQLiteNIO

/// Every store of the gateway on the embedded SQLite database.
public struct SQLiteStore: MerchantStore, PaymentIntentStore, SecretStore, DatabaseProbe {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func ping() async throws {
        _ = try await database.withConnection { try await $0.query("SELECT 1").count }
    }

    // MARK: Merchants

    public func createMerchant(_ merchant: Merchant) async throws -> Merchant {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                INSERT INTO merchants (
                    name, client_id, api_key_hash, webhook_secret, h5_domain, default_notify_url, created_at,
                    default_settlement_currency
                )
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(merchant.name), .text(merchant.clientID), .text(merchant.apiKeyHash),
                    .text(merchant.webhookSecret), .optionalText(merchant.h5Domain),
                    .optionalText(merchant.defaultNotifyURL), .millis(merchant.createdAt), .text(merchant.defaultSettlementCurrency),
                ]
            )
            var saved = merchant
            saved.uid = Int64(try await connection.lastAutoincrementID())
            return saved
        }
    }

    public func merchant(clientID: String) async throws -> Merchant? {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM merchants WHERE client_id = ?", [.text(clientID)]).first.map(Self.merchant)
        }
    }

    public func merchant(uid: Int64) async throws -> Merchant? {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM merchants WHERE uid = ?", [.integer(Int(uid))]).first.map(Self.merchant)
        }
    }

    public func merchantCount() async throws -> Int {
        try await database.withConnection { connection in
            try await connection.query("SELECT COUNT(*) AS n FROM merchants").first?.column("n")?.integer ?? 0
        }
    }

    static func merchant(_ row: SQLiteRow) throws -> Merchant {
        Merchant(
            uid: try row.int64("uid"), name: try row.text("name"), clientID: try row.text("client_id"),
            apiKeyHash: try row.text("api_key_hash"), webhookSecret: try row.text("webhook_secret"),
            h5Domain: row.optionalText("h5_domain"), defaultNotifyURL: row.optionalText("default_notify_url"),
            createdAt: try row.date("created_at"),
            previousWebhookSecret: row.optionalText("previous_webhook_secret"),
            previousWebhookSecretExpiresAt: row.optionalDate("previous_webhook_secret_expires_at"),
            defaultSettlementCurrency: try row.text("default_settlement_currency")
        )
    }

    public func rotateWebhookSecret(uid: Int64, newSecret: String, previousValidUntil: Date) async throws -> Merchant? {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE merchants SET previous_webhook_secret = webhook_secret, previous_webhook_secret_expires_at = ?,
                    webhook_secret = ?
                WHERE uid = ?
                """,
                [.millis(previousValidUntil), .text(newSecret), .integer(Int(uid))]
            )
            return try await connection.query("SELECT * FROM merchants WHERE uid = ?", [.integer(Int(uid))]).first.map(Self.merchant)
        }
    }

    public func setDefaultNotifyURL(uid: Int64, url: String?) async throws -> Merchant? {
        try await database.transaction { connection in
            _ = try await connection.query(
                "UPDATE merchants SET default_notify_url = ? WHERE uid = ?", [.optionalText(url), .integer(Int(uid))]
            )
            return try await connection.query("SELECT * FROM merchants WHERE uid = ?", [.integer(Int(uid))]).first.map(Self.merchant)
        }
    }

    // MARK: Secrets

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        try await database.transaction { connection in
            if let existing = try await connection.query("SELECT value FROM secrets WHERE name = ?", [.text(name)]).first,
               let buffer = existing.column("value")?.blob {
                return Array(buffer.readableBytesView)
            }
            let value = make()
            _ = try await connection.query(
                "INSERT INTO secrets (name, value) VALUES (?, ?)", [.text(name), .blob(ByteBuffer(bytes: value))]
            )
            return value
        }
    }

    // MARK: Payment intents

    public func insert(_ intent: PaymentIntent) async throws -> InsertOutcome {
        try await database.transaction { connection in
            if let existing = try await connection.query(
                "SELECT * FROM payment_intents WHERE merchant_uid = ? AND merchant_order_id = ?",
                [.integer(Int(intent.merchantUID)), .text(intent.merchantOrderID)]
            ).first {
                return .existing(try Self.intent(existing))
            }
            _ = try await connection.query(
                """
                INSERT INTO payment_intents (
                    order_id, merchant_uid, merchant_order_id, amount_minor, currency, description, notify_url,
                    return_url, method, status, next_action_type, next_action_url, create_time, expires_at, pay_time,
                    provider_payment_id, wallet_used, settle_currency, failure_code, refunded_minor,
                    request_fingerprint, updated_at, check_at, trade_link_closes_at, late_payment_time, next_action_details
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(intent.orderID), .integer(Int(intent.merchantUID)), .text(intent.merchantOrderID)]
                    + [
                        .integer(Int(intent.amount.minorUnits)), .text(intent.amount.currency.code),
                        .text(intent.description), .optionalText(intent.notifyURL), .optionalText(intent.returnURL),
                        .text(try Self.encodeMethod(intent.method)), .text(intent.status.rawValue),
                        .optionalText(intent.nextAction?.type.rawValue), .optionalText(intent.nextAction?.url),
                        .millis(intent.createTime), .millis(intent.expiresAt), .optionalMillis(intent.payTime),
                        .optionalText(intent.providerPaymentID), .optionalText(intent.walletUsed),
                        .optionalText(intent.settleCurrency), .optionalText(intent.failureCode),
                        .integer(Int(intent.refundedMinorUnits)), .text(intent.requestFingerprint), .millis(Date()),
                        .millis(intent.firstCheckAt ?? intent.createTime), .optionalMillis(intent.tradeLinkClosesAt),
                        .optionalMillis(intent.latePaymentTime), .optionalText(intent.nextAction?.storedDetails),
                    ]
            )
            return .inserted(intent)
        }
    }

    public func intent(orderID: String) async throws -> PaymentIntent? {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM payment_intents WHERE order_id = ?", [.text(orderID)]).first.map(Self.intent)
        }
    }

    public func intent(merchantUID: Int64, orderID: String) async throws -> PaymentIntent? {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT * FROM payment_intents WHERE merchant_uid = ? AND order_id = ?",
                [.integer(Int(merchantUID)), .text(orderID)]
            ).first.map(Self.intent)
        }
    }

    public func intent(merchantUID: Int64, merchantOrderID: String) async throws -> PaymentIntent? {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT * FROM payment_intents WHERE merchant_uid = ? AND merchant_order_id = ?",
                [.integer(Int(merchantUID)), .text(merchantOrderID)]
            ).first.map(Self.intent)
        }
    }

    public func transition(
        orderID: String,
        decide: @Sendable (PaymentIntent) -> PaymentTransition,
        makeEvent: @Sendable (PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> TransitionOutcome {
        try await database.transaction { connection in
            guard let row = try await connection.query("SELECT * FROM payment_intents WHERE order_id = ?", [.text(orderID)]).first else {
                return .notFound
            }
            let current = try Self.intent(row)
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else {
                return .unchanged(current, decision)
            }
            _ = try await connection.query(
                """
                UPDATE payment_intents SET status = ?, next_action_type = ?, next_action_url = ?, pay_time = ?,
                    provider_payment_id = ?, wallet_used = ?, settle_currency = ?, failure_code = ?,
                    refunded_minor = ?, trade_link_closes_at = ?, late_payment_time = ?, next_action_details = ?, updated_at = ?,
                    check_at = CASE WHEN ? = 1 THEN check_at ELSE ? END
                WHERE order_id = ?
                """,
                Self.mutableColumns(next) + [.millis(Date())] + Self.checkColumns(ProviderCheckChange.between(current, next, now: Date()))
                    + [.text(orderID)]
            )
            let event = notification.map { makeEvent(next, $0) }
            if let event { try await Self.insertEvent(event, on: connection) }
            return .applied(next, event)
        }
    }

    /// Writes an outbox event; callers run it inside the transaction of the change that causes it.
    static func insertEvent(_ event: WebhookEvent, on connection: SQLiteConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO webhook_events (id, merchant_uid, order_id, kind, body, created_at, notify_url, status, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
            """,
            [
                .text(event.id), .integer(Int(event.merchantUID)), .text(event.orderID),
                .text(event.kind.rawValue), .text(event.body), .millis(event.createdAt),
                .optionalText(event.notifyURL), .millis(event.createdAt),
            ]
        )
    }

    public func webhookEvents(orderID: String) async throws -> [WebhookEvent] {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM webhook_events WHERE order_id = ? ORDER BY seq", [.text(orderID)]).map(Self.event)
        }
    }

    static func event(_ row: SQLiteRow) throws -> WebhookEvent {
        guard let kind = WebhookEvent.Kind(rawValue: try row.text("kind")) else {
            throw StoredDataError(column: "webhook_events.kind")
        }
        return WebhookEvent(
            id: try row.text("id"), merchantUID: try row.int64("merchant_uid"), orderID: try row.text("order_id"),
            kind: kind, body: try row.text("body"), createdAt: try row.date("created_at"),
            notifyURL: row.optionalText("notify_url")
        )
    }

    /// The columns a transition may change, in the order of the UPDATE statement.
    static func mutableColumns(_ intent: PaymentIntent) -> [SQLiteData] {
        [
            .text(intent.status.rawValue), .optionalText(intent.nextAction?.type.rawValue),
            .optionalText(intent.nextAction?.url), .optionalMillis(intent.payTime),
            .optionalText(intent.providerPaymentID), .optionalText(intent.walletUsed),
            .optionalText(intent.settleCurrency), .optionalText(intent.failureCode),
            .integer(Int(intent.refundedMinorUnits)), .optionalMillis(intent.tradeLinkClosesAt),
            .optionalMillis(intent.latePaymentTime), .optionalText(intent.nextAction?.storedDetails),
        ]
    }

    /// The two parameters of `check_at = CASE WHEN ? = 1 THEN check_at ELSE ? END`.
    static func checkColumns(_ change: ProviderCheckChange) -> [SQLiteData] {
        switch change {
        case .keep: [.integer(1), .null]
        case .checkAt(let time): [.integer(0), .millis(time)]
        case .stop: [.integer(0), .null]
        }
    }

    static func encodeMethod(_ method: PaymentMethodSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(method), as: UTF8.self)
    }

    static func intent(_ row: SQLiteRow) throws -> PaymentIntent {
        let currencyCode = try row.text("currency")
        guard let currency = Currency(code: currencyCode),
              let status = PaymentStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "payment_intents.currency/status")
        }
        let method = try JSONDecoder().decode(PaymentMethodSpec.self, from: Data(try row.text("method").utf8))
        var nextAction: NextAction?
        if let type = row.optionalText("next_action_type").flatMap(NextAction.Kind.init(rawValue:)),
           let url = row.optionalText("next_action_url") {
            nextAction = NextAction.stored(type: type, url: url, details: row.optionalText("next_action_details"))
        }
        return PaymentIntent(
            orderID: try row.text("order_id"), merchantUID: try row.int64("merchant_uid"),
            merchantOrderID: try row.text("merchant_order_id"),
            amount: Money(minorUnits: try row.int64("amount_minor"), currency: currency),
            description: try row.text("description"), notifyURL: row.optionalText("notify_url"),
            returnURL: row.optionalText("return_url"), method: method, status: status, nextAction: nextAction,
            createTime: try row.date("create_time"), expiresAt: try row.date("expires_at"),
            payTime: row.optionalDate("pay_time"), providerPaymentID: row.optionalText("provider_payment_id"),
            walletUsed: row.optionalText("wallet_used"), settleCurrency: row.optionalText("settle_currency"),
            failureCode: row.optionalText("failure_code"), refundedMinorUnits: try row.int64("refunded_minor"),
            requestFingerprint: try row.text("request_fingerprint"),
            tradeLinkClosesAt: row.optionalDate("trade_link_closes_at"), latePaymentTime: row.optionalDate("late_payment_time")
        )
    }
}

/// A stored row that does not read back as the domain expects (a bug or a hand-edited database).
struct StoredDataError: Error, CustomStringConvertible {
    let column: String
    var description: String { "unreadable stored value in \(column)" }
}

extension SQLiteData {
    static func optionalText(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func millis(_ date: Date) -> SQLiteData { .integer(Int((date.timeIntervalSince1970 * 1000).rounded())) }
    static func optionalMillis(_ date: Date?) -> SQLiteData { date.map(millis) ?? .null }
}

extension SQLiteRow {
    func text(_ name: String) throws -> String {
        guard let value = column(name)?.string else { throw StoredDataError(column: name) }
        return value
    }

    func optionalText(_ name: String) -> String? {
        guard let data = column(name), !data.isNull else { return nil }
        return data.string
    }

    func int64(_ name: String) throws -> Int64 {
        guard let value = column(name)?.integer else { throw StoredDataError(column: name) }
        return Int64(value)
    }

    func date(_ name: String) throws -> Date {
        Date(timeIntervalSince1970: TimeInterval(try int64(name)) / 1000)
    }

    func optionalDate(_ name: String) -> Date? {
        guard let value = column(name)?.integer else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(value) / 1000)
    }
}
