import Foundation
import ShroffCore

extension SQLStore: WebhookStore {
    public func claimDueDeliveries(now: Date, limits: DeliveryClaimLimits, lease: Duration) async throws -> [DeliveryJob] {
        // Due, not leased, and the oldest pending event of its intent (per-intent order across nodes:
        // a later event waits while an earlier one is pending, whoever holds it), with room left for
        // its merchant and its target URL; the oldest `claimCandidates(limit:)` of those ranked within their
        // merchant and their URL, so that merchants take turns and neither gets more than its room.
        // The ranking cannot lock (no row lock beside a window function): the rows it picks are
        // locked afterwards and their lease checked again on the locked row.
        let merchantRoom = Self.room(limits.merchantRoom, of: "e.merchant_uid", default: limits.perMerchant)
        let urlRoom = Self.room(limits.urlRoom, of: "COALESCE(e.notify_url, m.default_notify_url, '')", default: limits.perURL)
        let select = SQLStatement(
            """
            WITH candidates AS (
                SELECT e.seq, e.merchant_uid, e.next_attempt_at, COALESCE(e.notify_url, m.default_notify_url, '') AS url,
                       \(merchantRoom.sql) AS merchant_room, \(urlRoom.sql) AS url_room
                FROM webhook_events e JOIN merchants m ON m.uid = e.merchant_uid
                WHERE e.status = 'pending' AND e.next_attempt_at <= ?
                  AND (e.lease_until IS NULL OR e.lease_until <= ?)
                  AND NOT EXISTS (
                      SELECT 1 FROM webhook_events p
                      WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status = 'pending'
                  )
                  AND \(merchantRoom.sql) > 0 AND \(urlRoom.sql) > 0
                ORDER BY e.next_attempt_at, e.seq
                LIMIT ?
            ),
            ranked AS (
                SELECT seq, merchant_room, url_room,
                       ROW_NUMBER() OVER (PARTITION BY merchant_uid ORDER BY next_attempt_at, seq) AS merchant_rank,
                       ROW_NUMBER() OVER (PARTITION BY url ORDER BY next_attempt_at, seq) AS url_rank
                FROM candidates
            )
            SELECT e.*, m.default_notify_url, m.webhook_secret, m.previous_webhook_secret, m.previous_webhook_secret_expires_at
            FROM ranked r JOIN webhook_events e ON e.seq = r.seq JOIN merchants m ON m.uid = e.merchant_uid
            WHERE r.merchant_rank <= r.merchant_room AND r.url_rank <= r.url_room
              AND e.status = 'pending' AND (e.lease_until IS NULL OR e.lease_until <= ?)
            ORDER BY r.merchant_rank, e.next_attempt_at, e.seq
            LIMIT ?
            \(dialect.claimLock("e"))
            """,
            merchantRoom.binds + urlRoom.binds + [now.sqlValue, now.sqlValue] + merchantRoom.binds + urlRoom.binds
                + [Self.claimCandidates(limit: limits.limit).sqlValue, now.sqlValue, limits.limit.sqlValue]
        )
        let rows = try await database.transaction { session in
            let rows = try await session.run(select)
            let leaseEnd = now.addingTimeInterval(lease.timeInterval)
            try await Self.lease(rows, of: "webhook_events", key: "seq", column: "lease_until", until: leaseEnd, on: session)
            return rows
        }
        let jobs = try rows.map { row in
            let delivery = try Rows.delivery(row)
            return DeliveryJob(
                delivery: delivery, url: try delivery.event.notifyURL ?? row.optionalText("default_notify_url"),
                secrets: try Rows.signingSecrets(row).active(at: now)
            )
        }
        return jobs.sorted { ($0.delivery.nextAttemptAt ?? now, $0.delivery.sequence) < ($1.delivery.nextAttemptAt ?? now, $1.delivery.sequence) }
    }

    /// The room left for each value of `column`: `CASE column WHEN key THEN room … ELSE perKey END`.
    static func room<Key: SQLBindable>(_ rooms: [Key: Int], of column: String, default perKey: Int) -> (sql: String, binds: [SQLValue]) {
        guard !rooms.isEmpty else { return ("?", [perKey.sqlValue]) }
        let cases = Array(repeating: "WHEN ? THEN ?", count: rooms.count).joined(separator: " ")
        return ("CASE \(column) \(cases) ELSE ? END", rooms.flatMap { [$0.key.sqlValue, $0.value.sqlValue] } + [perKey.sqlValue])
    }

    /// How many of the oldest claimable events a claim ranks: four for each event it may take, so
    /// that one merchant's or one URL's backlog leaves room for others in the same claim, and at most
    /// 1,000. Merchants and URLs without room are left out before this limit, so a merchant at its cap
    /// never hides the others behind its backlog. Ranking all 1,000 for every claim (a claim follows
    /// every attempt that ends) made the claim most of a delivery's cost (issue 18).
    static func claimCandidates(limit: Int) -> Int { min(1000, max(16, limit * 4)) }

    public func postponeDelivery(eventID: String, until: Date, note: String?) async throws {
        try await database.write { session in
            try await session.run(
                """
                UPDATE webhook_events SET next_attempt_at = ?, last_error = COALESCE(?, last_error), lease_until = NULL
                WHERE id = ? AND status = 'pending'
                """,
                until, note, eventID
            )
        }
    }

    public func recordAttempt(_ attempt: DeliveryAttempt, decision: DeliveryDecision) async throws {
        let (status, nextAttempt, error, completed) = Self.columns(decision)
        try await database.transaction { session in
            try await session.run(
                """
                INSERT INTO webhook_attempts (event_id, number, started_at, url, http_status, latency_ms, error)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                attempt.eventID, attempt.number, attempt.startedAt, attempt.url, attempt.httpStatus, attempt.latencyMilliseconds,
                attempt.error
            )
            try await session.run(
                """
                UPDATE webhook_events SET status = ?, attempt_count = ?, next_attempt_at = ?, last_error = ?,
                    completed_at = ?, lease_until = NULL
                WHERE id = ?
                """,
                status.rawValue, attempt.number, nextAttempt, error, completed, attempt.eventID
            )
        }
    }

    public func recordNoEndpoint(eventID: String, at time: Date) async throws {
        try await database.write { session in
            try await session.run(
                """
                UPDATE webhook_events SET status = 'no_endpoint', next_attempt_at = NULL, completed_at = ?,
                    last_error = 'no notify_url on the intent and no default notify URL', lease_until = NULL
                WHERE id = ?
                """,
                time, eventID
            )
        }
    }

    /// The status, next attempt, last error and completion time a decision writes.
    static func columns(_ decision: DeliveryDecision) -> (DeliveryStatus, Date?, String?, Date?) {
        switch decision {
        case .succeeded(let time): (.succeeded, nil, nil, time)
        case .retry(let time, let error): (.pending, time, error, nil)
        case .failed(let time, let error): (.failed, nil, error, time)
        case .noEndpoint(let time): (.noEndpoint, nil, nil, time)
        }
    }

    public var leasesAreExclusiveToThisProcess: Bool { database.isExclusiveToThisProcess }

    /// Does nothing on a shared database: a lease there may be another node's, on work it is doing right now.
    public func releaseAllLeases() async throws {
        guard leasesAreExclusiveToThisProcess else { return }
        try await database.write { try await $0.run("UPDATE webhook_events SET lease_until = NULL WHERE lease_until IS NOT NULL") }
    }

    public func deliveries(merchantUID: Int64, filter: DeliveryFilter) async throws -> [WebhookDelivery] {
        var conditions = ["merchant_uid = ?"]
        var binds: [any SQLBindable] = [merchantUID]
        func condition(_ sql: String, _ value: any SQLBindable) {
            conditions.append(sql)
            binds.append(value)
        }
        if let orderID = filter.orderID { condition("order_id = ?", orderID) }
        if let status = filter.status { condition("status = ?", status.rawValue) }
        if let from = filter.createdFrom { condition("created_at >= ?", from) }
        if let to = filter.createdTo { condition("created_at < ?", to) }
        if let after = filter.after { condition("seq > ?", after) }
        let select = SQLStatement(
            "SELECT * FROM webhook_events WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT ?", binds + [filter.limit]
        )
        return try await database.read { try await $0.run(select) }.map(Rows.delivery)
    }

    public func delivery(merchantUID: Int64, eventID: String) async throws -> WebhookDelivery? {
        try await readFirst("SELECT * FROM webhook_events WHERE id = ? AND merchant_uid = ?", eventID, merchantUID, as: Rows.delivery)
    }

    public func attempts(eventID: String) async throws -> [DeliveryAttempt] {
        try await read("SELECT * FROM webhook_attempts WHERE event_id = ? ORDER BY number, id", eventID, as: Rows.attempt)
    }

    public func requeue(merchantUID: Int64, eventID: String, now: Date) async throws -> WebhookDelivery? {
        try await database.write { session in
            try await session.run(
                """
                UPDATE webhook_events SET status = 'pending', next_attempt_at = ?, completed_at = NULL
                WHERE id = ? AND merchant_uid = ?
                RETURNING *
                """,
                now, eventID, merchantUID
            )
        }.first.map(Rows.delivery)
    }

    public func outboxBacklog() async throws -> OutboxBacklog {
        let backlog = try await readFirst(
            """
            SELECT COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                   MIN(created_at) FILTER (WHERE status = 'pending') AS oldest,
                   COUNT(*) FILTER (WHERE status = 'failed') AS failed
            FROM webhook_events WHERE status IN ('pending', 'failed')
            """,
            as: { row in
                OutboxBacklog(
                    pending: Int(try row.int64("pending")), oldestPendingCreatedAt: try row.optionalDate("oldest"),
                    failed: Int(try row.int64("failed"))
                )
            }
        )
        return backlog ?? OutboxBacklog(pending: 0, oldestPendingCreatedAt: nil, failed: 0)
    }
}
