import Foundation
import ShroffCore

extension SQLStore: PaymentIntentStore {
    public func insert(_ intent: PaymentIntent) async throws -> InsertOutcome {
        let statement = try Self.insertStatement(intent)
        return try await database.write { session in
            // Race-free on the UNIQUE (merchant_uid, merchant_order_id), whichever node inserts: a racing
            // insert waits for the first one's transaction and then does nothing.
            if !(try await session.run(statement)).isEmpty { return .inserted(intent) }
            guard let existing = try await session.run(
                "SELECT * FROM payment_intents WHERE merchant_uid = ? AND merchant_order_id = ?", intent.merchantUID, intent.merchantOrderID
            ).first else { throw StoredDataError(column: "payment_intents.merchant_order_id") }
            return .existing(try Rows.intent(existing))
        }
    }

    public func insertAll(_ intents: [PaymentIntent], events: [WebhookEvent]) async throws -> Int {
        let statements = try intents.map { ($0.orderID, try Self.insertStatement($0)) }
        return try await database.transaction { session in
            var inserted = Set<String>()
            for (orderID, statement) in statements where !(try await session.run(statement)).isEmpty { inserted.insert(orderID) }
            for event in events where inserted.contains(event.orderID) { try await Self.insertEvent(event, on: session) }
            return inserted.count
        }
    }

    /// The intent's row, inserted unless its merchant_order_id is taken; answers its order_id when inserted.
    static func insertStatement(_ intent: PaymentIntent) throws -> SQLStatement {
        SQLStatement(
            """
            INSERT INTO payment_intents (
                order_id, merchant_uid, merchant_order_id, amount_minor, currency, description, notify_url,
                return_url, method, status, next_action_type, next_action_url, create_time, expires_at, pay_time,
                provider_payment_id, wallet_used, settle_currency, failure_code, refunded_minor,
                request_fingerprint, updated_at, check_at, trade_link_closes_at, late_payment_time, next_action_details
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (merchant_uid, merchant_order_id) DO NOTHING
            RETURNING order_id
            """,
            [
                intent.orderID, intent.merchantUID, intent.merchantOrderID, intent.amount.minorUnits, intent.amount.currency.code,
                intent.description, intent.notifyURL, intent.returnURL, try Rows.encodeMethod(intent.method), intent.status.rawValue,
                intent.nextAction?.type.rawValue, intent.nextAction?.url, intent.createTime, intent.expiresAt, intent.payTime,
                intent.providerPaymentID, intent.walletUsed, intent.settleCurrency, intent.failureCode, intent.refundedMinorUnits,
                intent.requestFingerprint, Date(), intent.firstCheckAt ?? intent.createTime, intent.tradeLinkClosesAt,
                intent.latePaymentTime, intent.nextAction?.storedDetails,
            ]
        )
    }

    public func intent(orderID: String) async throws -> PaymentIntent? {
        try await readFirst("SELECT * FROM payment_intents WHERE order_id = ?", orderID, as: Rows.intent)
    }

    public func intent(merchantUID: Int64, orderID: String) async throws -> PaymentIntent? {
        try await readFirst("SELECT * FROM payment_intents WHERE merchant_uid = ? AND order_id = ?", merchantUID, orderID, as: Rows.intent)
    }

    public func intent(merchantUID: Int64, merchantOrderID: String) async throws -> PaymentIntent? {
        try await readFirst(
            "SELECT * FROM payment_intents WHERE merchant_uid = ? AND merchant_order_id = ?", merchantUID, merchantOrderID, as: Rows.intent
        )
    }

    public func transition(
        orderID: String,
        decide: @Sendable (PaymentIntent) -> PaymentTransition,
        makeEvent: @Sendable (PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> TransitionOutcome {
        try await database.transaction { session in
            // The lock serializes changes of one intent across nodes (and orders its outbox events).
            guard let row = try await lockedRow(of: "payment_intents", where: "order_id", is: orderID, on: session) else {
                return .notFound
            }
            let current = try Rows.intent(row)
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else {
                return .unchanged(current, decision)
            }
            let check = Self.checkColumns(ProviderCheckChange.between(current, next, now: Date()))
            try await session.run(
                """
                UPDATE payment_intents SET status = ?, next_action_type = ?, next_action_url = ?, pay_time = ?,
                    provider_payment_id = ?, wallet_used = ?, settle_currency = ?, failure_code = ?,
                    refunded_minor = ?, trade_link_closes_at = ?, late_payment_time = ?, next_action_details = ?, updated_at = ?,
                    check_at = CASE WHEN ? = 1 THEN check_at ELSE ? END
                WHERE order_id = ?
                """,
                next.status.rawValue, next.nextAction?.type.rawValue, next.nextAction?.url, next.payTime,
                next.providerPaymentID, next.walletUsed, next.settleCurrency, next.failureCode,
                next.refundedMinorUnits, next.tradeLinkClosesAt, next.latePaymentTime, next.nextAction?.storedDetails, Date(),
                check.keep, check.at, orderID
            )
            let event = notification.map { makeEvent(next, $0) }
            if let event { try await Self.insertEvent(event, on: session) }
            return .applied(next, event)
        }
    }

    /// The two values of `check_at = CASE WHEN keep = 1 THEN check_at ELSE at END`.
    static func checkColumns(_ change: ProviderCheckChange) -> (keep: Int, at: Date?) {
        switch change {
        case .keep: (1, nil)
        case .checkAt(let time): (0, time)
        case .stop: (0, nil)
        }
    }

    /// Writes an outbox event; callers run it inside the transaction of the change that causes it,
    /// holding the intent's lock (so an intent's events get increasing `seq` in commit order).
    static func insertEvent(_ event: WebhookEvent, on session: any SQLSession) async throws {
        try await session.run(
            """
            INSERT INTO webhook_events (id, merchant_uid, order_id, kind, body, created_at, notify_url, status, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
            """,
            event.id, event.merchantUID, event.orderID, event.kind.rawValue, event.body, event.createdAt, event.notifyURL,
            event.createdAt
        )
    }

    public func webhookEvents(orderID: String) async throws -> [WebhookEvent] {
        try await read("SELECT * FROM webhook_events WHERE order_id = ? ORDER BY seq", orderID, as: Rows.event)
    }
}
