import Foundation
import ShroffCore
import SQLiteNIO

extension SQLiteStore: RefundStore {
    public func insertRefund(_ refund: Refund) async throws -> RefundInsertOutcome {
        try await database.transaction { connection in
            if let existing = try await connection.query(
                "SELECT * FROM refunds WHERE merchant_uid = ? AND merchant_refund_id = ?",
                [.integer(Int(refund.merchantUID)), .text(refund.merchantRefundID)]
            ).first {
                return .existing(try Self.refund(existing))
            }
            guard let intentRow = try await connection.query(
                "SELECT * FROM payment_intents WHERE order_id = ?", [.text(refund.orderID)]
            ).first else { throw StoredDataError(column: "refunds.order_id") }
            let intent = try Self.intent(intentRow)
            guard intent.holdsMoney else { return .notRefundable(intent.status) }
            // The write lock is held (BEGIN IMMEDIATE): no racing refund can slip in between.
            let committed = try await connection.query(
                "SELECT COALESCE(SUM(amount_minor), 0) AS total FROM refunds WHERE order_id = ? AND status != 'FAILED'",
                [.text(refund.orderID)]
            ).first?.column("total")?.integer ?? 0
            let remaining = intent.amount.minorUnits - Int64(committed)
            guard refund.amount.minorUnits <= remaining else { return .exceedsRefundable(remainingMinorUnits: remaining) }
            _ = try await connection.query(
                """
                INSERT INTO refunds (refund_id, merchant_uid, order_id, merchant_refund_id, amount_minor, currency, reason,
                    status, provider_refund_id, failure_code, create_time, finish_time, request_fingerprint, check_at, check_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?, ?, 0)
                """,
                [
                    .text(refund.refundID), .integer(Int(refund.merchantUID)), .text(refund.orderID), .text(refund.merchantRefundID),
                    .integer(Int(refund.amount.minorUnits)), .text(refund.amount.currency.code), .optionalText(refund.reason),
                    .text(refund.status.rawValue), .millis(refund.createTime), .text(refund.requestFingerprint),
                    .millis(refund.firstCheckAt ?? refund.createTime),
                ]
            )
            return .inserted(refund)
        }
    }

    public func refund(refundID: String) async throws -> Refund? {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM refunds WHERE refund_id = ?", [.text(refundID)]).first.map(Self.refund)
        }
    }

    public func refund(merchantUID: Int64, refundID: String) async throws -> Refund? {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT * FROM refunds WHERE refund_id = ? AND merchant_uid = ?", [.text(refundID), .integer(Int(merchantUID))]
            ).first.map(Self.refund)
        }
    }

    public func refund(merchantUID: Int64, merchantRefundID: String) async throws -> Refund? {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT * FROM refunds WHERE merchant_refund_id = ? AND merchant_uid = ?",
                [.text(merchantRefundID), .integer(Int(merchantUID))]
            ).first.map(Self.refund)
        }
    }

    public func transitionRefund(
        refundID: String,
        decide: @Sendable (Refund) -> RefundTransition,
        makeEvent: @Sendable (Refund, PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> RefundTransitionOutcome {
        try await database.transaction { connection in
            guard let row = try await connection.query("SELECT * FROM refunds WHERE refund_id = ?", [.text(refundID)]).first else {
                return .notFound
            }
            let current = try Self.refund(row)
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else { return .unchanged(current, decision) }
            _ = try await connection.query(
                """
                UPDATE refunds SET status = ?, provider_refund_id = ?, failure_code = ?, finish_time = ?,
                    check_at = CASE WHEN ? = 'PROCESSING' THEN check_at ELSE NULL END
                WHERE refund_id = ?
                """,
                [
                    .text(next.status.rawValue), .optionalText(next.providerRefundID), .optionalText(next.failureCode),
                    .optionalMillis(next.finishTime), .text(next.status.rawValue), .text(refundID),
                ]
            )
            if next.status == .succeeded, current.status != .succeeded {
                _ = try await connection.query(
                    "UPDATE payment_intents SET refunded_minor = refunded_minor + ?, updated_at = ? WHERE order_id = ?",
                    [.integer(Int(next.amount.minorUnits)), .millis(Date()), .text(next.orderID)]
                )
            }
            guard let intentRow = try await connection.query(
                "SELECT * FROM payment_intents WHERE order_id = ?", [.text(next.orderID)]
            ).first else { throw StoredDataError(column: "refunds.order_id") }
            let intent = try Self.intent(intentRow)
            let event = notification.map { makeEvent(next, intent, $0) }
            if let event { try await Self.insertEvent(event, on: connection) }
            return .applied(next, intent, event)
        }
    }

    public func claimDueIntentChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<PaymentIntent>] {
        try await database.transaction { connection in
            let rows = try await connection.query(
                // CANCELLED ones have a check_at only while watched for a late payment.
                "SELECT * FROM payment_intents WHERE status IN ('PENDING', 'CANCELLED') AND check_at <= ? ORDER BY check_at LIMIT ?",
                [.millis(now), .integer(limit)]
            )
            let leaseEnd = SQLiteData.millis(now.addingTimeInterval(lease.timeInterval))
            var due: [DueCheck<PaymentIntent>] = []
            for row in rows {
                let intent = try Self.intent(row)
                _ = try await connection.query("UPDATE payment_intents SET check_at = ? WHERE order_id = ?", [leaseEnd, .text(intent.orderID)])
                due.append(DueCheck(item: intent, checks: Int(try row.int64("check_count"))))
            }
            return due
        }
    }

    public func scheduleIntentCheck(orderID: String, at time: Date, checks: Int) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE payment_intents SET check_at = ?, check_count = ?
                WHERE order_id = ? AND (status = 'PENDING' OR (status = 'CANCELLED' AND check_at IS NOT NULL))
                """,
                [.millis(time), .integer(checks), .text(orderID)]
            )
        }
    }

    public func stopIntentChecks(orderID: String) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                "UPDATE payment_intents SET check_at = NULL WHERE order_id = ? AND status = 'CANCELLED'", [.text(orderID)]
            )
        }
    }

    public func claimDueRefundChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<Refund>] {
        try await database.transaction { connection in
            let rows = try await connection.query(
                "SELECT * FROM refunds WHERE status = 'PROCESSING' AND check_at <= ? ORDER BY check_at LIMIT ?",
                [.millis(now), .integer(limit)]
            )
            let leaseEnd = SQLiteData.millis(now.addingTimeInterval(lease.timeInterval))
            var due: [DueCheck<Refund>] = []
            for row in rows {
                let refund = try Self.refund(row)
                _ = try await connection.query("UPDATE refunds SET check_at = ? WHERE refund_id = ?", [leaseEnd, .text(refund.refundID)])
                due.append(DueCheck(item: refund, checks: Int(try row.int64("check_count"))))
            }
            return due
        }
    }

    public func scheduleRefundCheck(refundID: String, at time: Date, checks: Int) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                "UPDATE refunds SET check_at = ?, check_count = ? WHERE refund_id = ? AND status = 'PROCESSING'",
                [.millis(time), .integer(checks), .text(refundID)]
            )
        }
    }

    static func refund(_ row: SQLiteRow) throws -> Refund {
        guard let currency = Currency(code: try row.text("currency")),
              let status = RefundStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "refunds.currency/status")
        }
        return Refund(
            refundID: try row.text("refund_id"), merchantUID: try row.int64("merchant_uid"), orderID: try row.text("order_id"),
            merchantRefundID: try row.text("merchant_refund_id"),
            amount: Money(minorUnits: try row.int64("amount_minor"), currency: currency), reason: row.optionalText("reason"),
            status: status, providerRefundID: row.optionalText("provider_refund_id"), failureCode: row.optionalText("failure_code"),
            createTime: try row.date("create_time"), finishTime: row.optionalDate("finish_time"),
            requestFingerprint: try row.text("request_fingerprint")
        )
    }
}
