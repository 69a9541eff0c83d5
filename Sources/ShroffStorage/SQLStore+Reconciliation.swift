import Foundation
import ShroffCore

extension SQLStore: ReconciliationStore {
    public func claimDueIntentChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<PaymentIntent>] {
        // CANCELLED ones have a check_at only while watched for a late payment.
        try await claimDueChecks(
            table: "payment_intents", key: "order_id", due: "status IN ('PENDING', 'CANCELLED')", now: now, limit: limit, lease: lease
        ) { DueCheck(item: try Rows.intent($0), checks: try Rows.checkCount($0)) }
    }

    public func scheduleIntentCheck(orderID: String, at time: Date, checks: Int) async throws {
        try await database.write { session in
            try await session.run(
                """
                UPDATE payment_intents SET check_at = ?, check_count = ?
                WHERE order_id = ? AND (status = 'PENDING' OR (status = 'CANCELLED' AND check_at IS NOT NULL))
                """,
                time, checks, orderID
            )
        }
    }

    public func stopIntentChecks(orderID: String) async throws {
        try await database.write { session in
            try await session.run("UPDATE payment_intents SET check_at = NULL WHERE order_id = ? AND status = 'CANCELLED'", orderID)
        }
    }

    public func claimDueRefundChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<Refund>] {
        try await claimDueChecks(table: "refunds", key: "refund_id", due: "status = 'PROCESSING'", now: now, limit: limit, lease: lease) {
            DueCheck(item: try Rows.refund($0), checks: try Rows.checkCount($0))
        }
    }

    public func scheduleRefundCheck(refundID: String, at time: Date, checks: Int) async throws {
        try await database.write { session in
            try await session.run(
                "UPDATE refunds SET check_at = ?, check_count = ? WHERE refund_id = ? AND status = 'PROCESSING'", time, checks, refundID
            )
        }
    }

    /// Leases the rows of `table` in a `due` status whose `check_at` has come, most overdue first. The
    /// lease is the next check time itself: another node sees the row again only when it runs out
    /// (this node reschedules it sooner when done). Rows another claimer holds, or a change is
    /// holding right now, are passed over.
    func claimDueChecks<Item: Sendable & Equatable>(
        table: String, key: String, due: String, now: Date, limit: Int, lease: Duration,
        _ check: (SQLRow) throws -> DueCheck<Item>
    ) async throws -> [DueCheck<Item>] {
        let select = "SELECT * FROM \(table) WHERE \(due) AND check_at <= ? ORDER BY check_at LIMIT ? \(dialect.claimLock(table))"
        return try await database.transaction { session in
            let rows = try await session.run(select, now, limit)
            let leaseEnd = now.addingTimeInterval(lease.timeInterval)
            try await Self.lease(rows, of: table, key: key, column: "check_at", until: leaseEnd, on: session)
            return try rows.map(check)
        }
    }

    /// Sets `column` of the claimed rows (their `key` read from them) to the end of their lease.
    static func lease(_ rows: [SQLRow], of table: String, key: String, column: String, until end: Date, on session: any SQLSession) async throws {
        guard !rows.isEmpty else { return }
        let keys = try rows.map { try $0.value(key) }
        let list = Array(repeating: "?", count: keys.count).joined(separator: ", ")
        try await session.run(SQLStatement("UPDATE \(table) SET \(column) = ? WHERE \(key) IN (\(list))", [end.sqlValue] + keys))
    }
}
