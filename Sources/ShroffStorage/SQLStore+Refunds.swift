import Foundation
import ShroffCore

extension SQLStore: RefundStore {
    public func insertRefund(_ refund: Refund) async throws -> RefundInsertOutcome {
        try await database.transaction { session in
            // The intent's lock comes first: racing refunds of one intent (on any node) run one after
            // the other, and each sees the refunds committed before it (READ COMMITTED reads anew at
            // every statement), so the sum below cannot be overtaken.
            let intentRow = try await lockedRow(of: "payment_intents", where: "order_id", is: refund.orderID, on: session)
            if let existing = try await Self.existingRefund(refund, on: session) { return .existing(existing) }
            guard let intentRow else { throw StoredDataError(column: "refunds.order_id") }
            let committed = try await session.run(
                "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS total FROM refunds WHERE order_id = ? AND status != 'FAILED'",
                refund.orderID
            ).first?.int64("total") ?? 0
            switch RefundAdmission.decide(refund, of: try Rows.intent(intentRow), committedMinorUnits: committed) {
            case .notRefundable(let status): return .notRefundable(status)
            case .exceedsRefundable(let remaining): return .exceedsRefundable(remainingMinorUnits: remaining)
            case .admitted: break
            }
            let inserted = try await session.run(
                """
                INSERT INTO refunds (refund_id, merchant_uid, order_id, merchant_refund_id, amount_minor, currency, reason,
                    status, provider_refund_id, failure_code, create_time, finish_time, request_fingerprint, check_at, check_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?, ?, 0)
                ON CONFLICT (merchant_uid, merchant_refund_id) DO NOTHING
                RETURNING refund_id
                """,
                refund.refundID, refund.merchantUID, refund.orderID, refund.merchantRefundID, refund.amount.minorUnits,
                refund.amount.currency.code, refund.reason, refund.status.rawValue, refund.createTime, refund.requestFingerprint,
                refund.firstCheckAt ?? refund.createTime
            )
            if !inserted.isEmpty { return .inserted(refund) }
            // The same merchant_refund_id was committed meanwhile for another of the merchant's intents.
            guard let existing = try await Self.existingRefund(refund, on: session) else {
                throw StoredDataError(column: "refunds.merchant_refund_id")
            }
            return .existing(existing)
        }
    }

    static func existingRefund(_ refund: Refund, on session: any SQLSession) async throws -> Refund? {
        try await session.run(
            "SELECT * FROM refunds WHERE merchant_uid = ? AND merchant_refund_id = ?", refund.merchantUID, refund.merchantRefundID
        ).first.map(Rows.refund)
    }

    public func refund(refundID: String) async throws -> Refund? {
        try await readFirst("SELECT * FROM refunds WHERE refund_id = ?", refundID, as: Rows.refund)
    }

    public func refund(merchantUID: Int64, refundID: String) async throws -> Refund? {
        try await readFirst("SELECT * FROM refunds WHERE refund_id = ? AND merchant_uid = ?", refundID, merchantUID, as: Rows.refund)
    }

    public func refund(merchantUID: Int64, merchantRefundID: String) async throws -> Refund? {
        try await readFirst(
            "SELECT * FROM refunds WHERE merchant_refund_id = ? AND merchant_uid = ?", merchantRefundID, merchantUID, as: Rows.refund
        )
    }

    public func transitionRefund(
        refundID: String,
        decide: @Sendable (Refund) -> RefundTransition,
        makeEvent: @Sendable (Refund, PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> RefundTransitionOutcome {
        try await database.transaction { session in
            guard let row = try await lockedRow(of: "refunds", where: "refund_id", is: refundID, on: session) else { return .notFound }
            let current = try Rows.refund(row)
            // The intent's lock too: its refunded amount may change, and its outbox events must get
            // their order from one lock (locks are always taken refund, then intent: no deadlock).
            guard let lockedIntent = try await lockedRow(of: "payment_intents", where: "order_id", is: current.orderID, on: session) else {
                throw StoredDataError(column: "refunds.order_id")
            }
            let decision = decide(current)
            guard case .apply(let next, let notification) = decision else { return .unchanged(current, decision) }
            try await session.run(
                """
                UPDATE refunds SET status = ?, provider_refund_id = ?, failure_code = ?, finish_time = ?,
                    check_at = CASE WHEN ? = 'PROCESSING' THEN check_at ELSE NULL END
                WHERE refund_id = ?
                """,
                next.status.rawValue, next.providerRefundID, next.failureCode, next.finishTime, next.status.rawValue, refundID
            )
            var intentRow = lockedIntent
            if next.status == .succeeded, current.status != .succeeded {
                guard let updated = try await session.run(
                    """
                    UPDATE payment_intents SET refunded_minor = refunded_minor + ?, updated_at = ?
                    WHERE order_id = ?
                    RETURNING *
                    """,
                    next.amount.minorUnits, Date(), next.orderID
                ).first else { throw StoredDataError(column: "refunds.order_id") }
                intentRow = updated
            }
            let intent = try Rows.intent(intentRow)
            let event = notification.map { makeEvent(next, intent, $0) }
            if let event { try await Self.insertEvent(event, on: session) }
            return .applied(next, intent, event)
        }
    }
}
