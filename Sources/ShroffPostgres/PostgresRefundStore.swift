import Foundation
import PostgresNIO
import ShroffCore

extension PostgresStore: RefundStore {
    public func insertRefund(_ refund: Refund) async throws -> RefundInsertOutcome {
        try await database.transaction { connection in
            // The intent's row lock comes first: racing refunds of one intent (on any node) run one
            // after the other, and each sees the refunds committed before it (READ COMMITTED reads
            // anew at every statement), so the sum below cannot be overtaken.
            let intentRow = try await rows(
                "SELECT * FROM payment_intents WHERE order_id = \(refund.orderID) FOR UPDATE", on: connection
            ).first
            if let existing = try await existingRefund(refund, on: connection) { return .existing(existing) }
            guard let intentRow else { throw StoredDataError(column: "refunds.order_id") }
            let intent = try Rows.intent(intentRow)
            guard intent.holdsMoney else { return .notRefundable(intent.status) }
            let committed = try await rows(
                "SELECT COALESCE(SUM(amount_minor), 0)::BIGINT AS total FROM refunds WHERE order_id = \(refund.orderID) AND status != 'FAILED'",
                on: connection
            ).first.map { try Columns($0).int64("total") } ?? 0
            let remaining = intent.amount.minorUnits - committed
            guard refund.amount.minorUnits <= remaining else { return .exceedsRefundable(remainingMinorUnits: remaining) }
            let inserted = try await rows("""
                INSERT INTO refunds (refund_id, merchant_uid, order_id, merchant_refund_id, amount_minor, currency, reason,
                    status, provider_refund_id, failure_code, create_time, finish_time, request_fingerprint, check_at, check_count)
                VALUES (\(refund.refundID), \(refund.merchantUID), \(refund.orderID), \(refund.merchantRefundID),
                        \(refund.amount.minorUnits), \(refund.amount.currency.code), \(refund.reason), \(refund.status.rawValue),
                        NULL, NULL, \(refund.createTime.millis), NULL, \(refund.requestFingerprint),
                        \((refund.firstCheckAt ?? refund.createTime).millis), 0)
                ON CONFLICT (merchant_uid, merchant_refund_id) DO NOTHING
                RETURNING refund_id
                """, on: connection)
            if !inserted.isEmpty { return .inserted(refund) }
            // The same merchant_refund_id was committed meanwhile for another of the merchant's intents.
            guard let existing = try await existingRefund(refund, on: connection) else {
                throw StoredDataError(column: "refunds.merchant_refund_id")
            }
            return .existing(existing)
        }
    }

    private func existingRefund(_ refund: Refund, on connection: PostgresConnection) async throws -> Refund? {
        try await rows(
            "SELECT * FROM refunds WHERE merchant_uid = \(refund.merchantUID) AND merchant_refund_id = \(refund.merchantRefundID)",
            on: connection
        ).first.map(Rows.refund)
    }

    public func refund(refundID: String) async throws -> Refund? {
        try await rows("SELECT * FROM refunds WHERE refund_id = \(refundID)").first.map(Rows.refund)
    }

    public func refund(merchantUID: Int64, refundID: String) async throws -> Refund? {
        try await rows("SELECT * FROM refunds WHERE refund_id = \(refundID) AND merchant_uid = \(merchantUID)").first.map(Rows.refund)
    }

    public func refund(merchantUID: Int64, merchantRefundID: String) async throws -> Refund? {
        try await rows(
            "SELECT * FROM refunds WHERE merchant_refund_id = \(merchantRefundID) AND merchant_uid = \(merchantUID)"
        ).first.map(Rows.refund)
    }

    public func transitionRefund(
        refundID: String,
        decide: @Sendable (Refund) -> RefundTransition,
        makeEvent: @Sendable (Refund, PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> RefundTransitionOutcome {
        try await database.transaction { connection in
            guard let row = try await rows("SELECT * FROM refunds WHERE refund_id = \(refundID) FOR UPDATE", on: connection).first else {
                return .notFound
            }
            let current = try Rows.refund(row)
            // The intent's lock too: its refunded amount may change, and its outbox events must get
            // their order from one lock (locks are always taken refund, then intent: no deadlock).
            guard let lockedIntent = try await rows(
                "SELECT * FROM payment_intents WHERE order_id = \(current.orderID) FOR UPDATE", on: connection
            ).first else { throw StoredDataError(column: "refunds.order_id") }
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else { return .unchanged(current, decision) }
            try await rows("""
                UPDATE refunds SET status = \(next.status.rawValue), provider_refund_id = \(next.providerRefundID),
                    failure_code = \(next.failureCode), finish_time = \(next.finishTime?.millis),
                    check_at = CASE WHEN \(next.status.rawValue) = 'PROCESSING' THEN check_at ELSE NULL END
                WHERE refund_id = \(refundID)
                """, on: connection)
            var intentRow = lockedIntent
            if next.status == .succeeded, current.status != .succeeded {
                guard let updated = try await rows("""
                    UPDATE payment_intents SET refunded_minor = refunded_minor + \(next.amount.minorUnits), updated_at = \(Date().millis)
                    WHERE order_id = \(next.orderID)
                    RETURNING *
                    """, on: connection).first else { throw StoredDataError(column: "refunds.order_id") }
                intentRow = updated
            }
            let intent = try Rows.intent(intentRow)
            let event = notification.map { makeEvent(next, intent, $0) }
            if let event { try await insertEvent(event, on: connection) }
            return .applied(next, intent, event)
        }
    }

    public func claimDueIntentChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<PaymentIntent>] {
        // The lease is the next check time itself: another node sees the intent again only when it
        // runs out (this node reschedules it sooner when done). SKIP LOCKED: racing claimers, and
        // intents being changed right now, are passed over.
        let leaseEnd = now.addingTimeInterval(lease.timeInterval).millis
        let rows = try await rows("""
            WITH due AS (
                SELECT order_id, check_at FROM payment_intents
                WHERE status IN ('PENDING', 'CANCELLED') AND check_at <= \(now.millis)
                ORDER BY check_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE payment_intents p SET check_at = \(leaseEnd)
            FROM due WHERE p.order_id = due.order_id
            RETURNING p.*, due.check_at AS due_at
            """)
        return try rows.map { row in
            let columns = Columns(row)
            return (due: try columns.int64("due_at"), check: DueCheck(item: try Rows.intent(row), checks: Int(try columns.int64("check_count"))))
        }
        .sorted { $0.due < $1.due }
        .map(\.check)
    }

    public func scheduleIntentCheck(orderID: String, at time: Date, checks: Int) async throws {
        try await rows("""
            UPDATE payment_intents SET check_at = \(time.millis), check_count = \(checks)
            WHERE order_id = \(orderID) AND (status = 'PENDING' OR (status = 'CANCELLED' AND check_at IS NOT NULL))
            """)
    }

    public func stopIntentChecks(orderID: String) async throws {
        try await rows("UPDATE payment_intents SET check_at = NULL WHERE order_id = \(orderID) AND status = 'CANCELLED'")
    }

    public func claimDueRefundChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<Refund>] {
        let leaseEnd = now.addingTimeInterval(lease.timeInterval).millis
        let rows = try await rows("""
            WITH due AS (
                SELECT refund_id, check_at FROM refunds
                WHERE status = 'PROCESSING' AND check_at <= \(now.millis)
                ORDER BY check_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE refunds r SET check_at = \(leaseEnd)
            FROM due WHERE r.refund_id = due.refund_id
            RETURNING r.*, due.check_at AS due_at
            """)
        return try rows.map { row in
            let columns = Columns(row)
            return (due: try columns.int64("due_at"), check: DueCheck(item: try Rows.refund(row), checks: Int(try columns.int64("check_count"))))
        }
        .sorted { $0.due < $1.due }
        .map(\.check)
    }

    public func scheduleRefundCheck(refundID: String, at time: Date, checks: Int) async throws {
        try await rows("""
            UPDATE refunds SET check_at = \(time.millis), check_count = \(checks)
            WHERE refund_id = \(refundID) AND status = 'PROCESSING'
            """)
    }
}
