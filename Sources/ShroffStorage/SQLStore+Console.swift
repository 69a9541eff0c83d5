import Foundation
import ShroffCore

extension SQLStore: ConsoleStore {
    // MARK: Sessions

    public func createSession(_ session: ConsoleSession) async throws {
        try await database.write { connection in
            try await connection.run(
                "INSERT INTO console_sessions (token_hash, kind, merchant_uid, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                session.tokenHash, session.kind.rawValue, session.merchantUID, session.csrfToken, session.createdAt, session.expiresAt
            )
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> ConsoleSession? {
        try await readFirst(
            "SELECT * FROM console_sessions WHERE token_hash = ? AND expires_at > ?", tokenHash, now,
            as: { row in
                guard let kind = ConsoleSessionKind(rawValue: try row.text("kind")) else {
                    throw StoredDataError(column: "console_sessions.kind")
                }
                return ConsoleSession(
                    tokenHash: try row.text("token_hash"), kind: kind, merchantUID: try row.optionalInt64("merchant_uid"),
                    csrfToken: try row.text("csrf_token"), createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at")
                )
            }
        )
    }

    public func deleteSession(tokenHash: String) async throws {
        try await database.write { try await $0.run("DELETE FROM console_sessions WHERE token_hash = ?", tokenHash) }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        try await database.write { try await $0.run("DELETE FROM console_sessions WHERE expires_at <= ? RETURNING token_hash", now) }.count
    }

    // MARK: The payment list

    public func intents(merchantUID: Int64, filter: PaymentListFilter) async throws -> [PaymentIntent] {
        var conditions = ["merchant_uid = ?"]
        var binds: [any SQLBindable] = [merchantUID]
        func condition(_ sql: String, _ values: any SQLBindable...) {
            conditions.append(sql)
            binds.append(contentsOf: values)
        }
        if let search = filter.search { condition("(order_id = ? OR merchant_order_id = ?)", search, search) }
        if let status = filter.status { condition("status = ?", status.rawValue) }
        // The method is stored as JSON with sorted keys and no spaces (`Rows.encodeMethod`).
        if let flow = filter.flow { condition("method LIKE ?", "%\"flow\":\"\(flow.rawValue)\"%") }
        if let from = filter.createdFrom { condition("create_time >= ?", from) }
        if let to = filter.createdTo { condition("create_time < ?", to) }
        if let before = filter.before {
            condition("(create_time < ? OR (create_time = ? AND order_id < ?))", before.createTime, before.createTime, before.orderID)
        }
        let select = SQLStatement(
            """
            SELECT * FROM payment_intents WHERE \(conditions.joined(separator: " AND "))
            ORDER BY create_time DESC, order_id DESC LIMIT ?
            """,
            binds + [filter.limit]
        )
        return try await database.read { try await $0.run(select) }.map(Rows.intent)
    }

    public func refunds(merchantUID: Int64, orderID: String) async throws -> [Refund] {
        try await read(
            "SELECT * FROM refunds WHERE merchant_uid = ? AND order_id = ? ORDER BY create_time, refund_id", merchantUID, orderID,
            as: Rows.refund
        )
    }

    public func tallies(merchantUID: Int64, from: Date, to: Date) async throws -> [PaymentTally] {
        let flows = PaymentMethodSpec.Flow.allFlows
        let flowCase = "CASE " + flows.map { _ in "WHEN method LIKE ? THEN ?" }.joined(separator: " ") + " ELSE ? END"
        let flowBinds: [any SQLBindable] = flows.flatMap { [("%\"flow\":\"\($0.rawValue)\"%") as any SQLBindable, $0.rawValue] }
            + [PaymentMethodSpec.Flow.cashier.rawValue]
        let select = SQLStatement(
            """
            SELECT status, flow, currency, COUNT(*) AS n, CAST(SUM(amount_minor) AS \(dialect.integer)) AS amount,
                   CAST(SUM(refunded_minor) AS \(dialect.integer)) AS refunded
            FROM (
                SELECT status, \(flowCase) AS flow, currency, amount_minor, refunded_minor FROM payment_intents
                WHERE merchant_uid = ? AND create_time >= ? AND create_time < ?
            ) tallied
            GROUP BY status, flow, currency ORDER BY status, flow, currency
            """,
            flowBinds + [merchantUID, from, to]
        )
        return try await database.read { try await $0.run(select) }.map { row in
            guard let status = PaymentStatus(rawValue: try row.text("status")),
                  let flow = PaymentMethodSpec.Flow(rawValue: try row.text("flow")) else {
                throw StoredDataError(column: "payment_intents.status/method")
            }
            return PaymentTally(
                status: status, flow: flow, currency: try row.text("currency"), count: Int(try row.int64("n")),
                amountMinorUnits: try row.int64("amount"), refundedMinorUnits: try row.int64("refunded")
            )
        }
    }

    public func recentDeliveries(merchantUID: Int64, status: DeliveryStatus, limit: Int) async throws -> [WebhookDelivery] {
        try await read(
            "SELECT * FROM webhook_events WHERE merchant_uid = ? AND status = ? ORDER BY seq DESC LIMIT ?", merchantUID, status.rawValue, limit,
            as: Rows.delivery
        )
    }

    // MARK: The operator's view

    public func allMerchants() async throws -> [Merchant] {
        try await read("SELECT * FROM merchants ORDER BY uid", as: Rows.merchant)
    }

    public func setMerchantDisabled(uid: Int64, at time: Date?) async throws -> Merchant? {
        try await database.write { try await $0.run("UPDATE merchants SET disabled_at = ? WHERE uid = ? RETURNING *", time, uid) }
            .first.map(Rows.merchant)
    }

    public func outboxBacklogByMerchant() async throws -> [MerchantBacklog] {
        try await read(
            """
            SELECT merchant_uid, COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                   COUNT(*) FILTER (WHERE status = 'failed') AS failed,
                   MIN(created_at) FILTER (WHERE status = 'pending') AS oldest
            FROM webhook_events WHERE status IN ('pending', 'failed')
            GROUP BY merchant_uid ORDER BY merchant_uid
            """,
            as: { row in
                MerchantBacklog(
                    merchantUID: try row.int64("merchant_uid"), pending: Int(try row.int64("pending")),
                    failed: Int(try row.int64("failed")), oldestPendingCreatedAt: try row.optionalDate("oldest")
                )
            }
        )
    }
}
