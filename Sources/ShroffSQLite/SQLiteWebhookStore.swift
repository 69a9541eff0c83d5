import Foundation
import ShroffCore
import SQLiteNIO

extension SQLiteStore: WebhookStore {
    public func claimDueDeliveries(now: Date, limits: DeliveryClaimLimits, lease: Duration) async throws -> [DeliveryJob] {
        // Due, not leased, and the oldest pending event of its intent (per-intent order), with room
        // left for its merchant and its target URL; the oldest `claimCandidates` of those ranked within
        // their merchant and their URL, so that merchants take turns and neither gets more than its room.
        func room<Key>(_ rooms: [Key: Int], of column: String, default perKey: Int, _ bind: (Key) -> SQLiteData) -> (String, [SQLiteData]) {
            guard !rooms.isEmpty else { return ("?", [.integer(perKey)]) }
            var binds: [SQLiteData] = []
            for (key, room) in rooms { binds += [bind(key), .integer(room)] }
            let cases = Array(repeating: "WHEN ? THEN ?", count: rooms.count).joined(separator: " ")
            return ("CASE \(column) \(cases) ELSE ? END", binds + [.integer(perKey)])
        }
        let (merchantRoom, merchantBinds) = room(limits.merchantRoom, of: "e.merchant_uid", default: limits.perMerchant) { .integer(Int($0)) }
        let (urlRoom, urlBinds) = room(limits.urlRoom, of: "COALESCE(e.notify_url, m.default_notify_url, '')", default: limits.perURL) { .text($0) }
        let values: [SQLiteData] = merchantBinds + urlBinds + [.millis(now), .millis(now)] + merchantBinds + urlBinds
            + [.integer(Self.claimCandidates), .integer(limits.limit)]
        let sql = """
            WITH candidates AS (
                SELECT e.seq, e.merchant_uid, e.next_attempt_at, COALESCE(e.notify_url, m.default_notify_url, '') AS url,
                       \(merchantRoom) AS merchant_room, \(urlRoom) AS url_room
                FROM webhook_events e JOIN merchants m ON m.uid = e.merchant_uid
                WHERE e.status = 'pending' AND e.next_attempt_at <= ?
                  AND (e.lease_until IS NULL OR e.lease_until <= ?)
                  AND NOT EXISTS (
                      SELECT 1 FROM webhook_events p
                      WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status = 'pending'
                  )
                  AND \(merchantRoom) > 0 AND \(urlRoom) > 0
                ORDER BY e.next_attempt_at, e.seq
                LIMIT ?
            ),
            ranked AS (
                SELECT seq, merchant_room, url_room,
                       ROW_NUMBER() OVER (PARTITION BY merchant_uid ORDER BY next_attempt_at, seq) AS merchant_rank,
                       ROW_NUMBER() OVER (PARTITION BY url ORDER BY next_attempt_at, seq) AS url_rank
                FROM candidates
            )
            SELECT e.*, m.default_notify_url, m.webhook_secret, m.previous_webhook_secret,
                   m.previous_webhook_secret_expires_at
            FROM ranked r JOIN webhook_events e ON e.seq = r.seq JOIN merchants m ON m.uid = e.merchant_uid
            WHERE r.merchant_rank <= r.merchant_room AND r.url_rank <= r.url_room
            ORDER BY r.merchant_rank, e.next_attempt_at, e.seq
            LIMIT ?
            """
        let parameters = values
        return try await database.transaction { connection in
            let rows = try await connection.query(sql, parameters)
            let leaseUntil = now.addingTimeInterval(lease.timeInterval)
            var jobs: [DeliveryJob] = []
            for row in rows {
                let delivery = try Self.delivery(row)
                _ = try await connection.query(
                    "UPDATE webhook_events SET lease_until = ? WHERE id = ?", [.millis(leaseUntil), .text(delivery.event.id)]
                )
                let merchant = Merchant(
                    uid: delivery.event.merchantUID, name: "", clientID: "", apiKeyHash: "",
                    webhookSecret: try row.text("webhook_secret"), h5Domain: nil,
                    defaultNotifyURL: row.optionalText("default_notify_url"), createdAt: now,
                    previousWebhookSecret: row.optionalText("previous_webhook_secret"),
                    previousWebhookSecretExpiresAt: row.optionalDate("previous_webhook_secret_expires_at")
                )
                jobs.append(DeliveryJob(
                    delivery: delivery, url: delivery.event.notifyURL ?? merchant.defaultNotifyURL,
                    secrets: merchant.signingSecrets(at: now)
                ))
            }
            return jobs.sorted { ($0.delivery.nextAttemptAt ?? now, $0.delivery.sequence) < ($1.delivery.nextAttemptAt ?? now, $1.delivery.sequence) }
        }
    }

    public func postponeDelivery(eventID: String, until: Date, note: String?) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE webhook_events SET next_attempt_at = ?, last_error = COALESCE(?, last_error), lease_until = NULL
                WHERE id = ? AND status = 'pending'
                """,
                [.millis(until), .optionalText(note), .text(eventID)]
            )
        }
    }

    public func recordAttempt(_ attempt: DeliveryAttempt, decision: DeliveryDecision) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                INSERT INTO webhook_attempts (event_id, number, started_at, url, http_status, latency_ms, error)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(attempt.eventID), .integer(attempt.number), .millis(attempt.startedAt), .text(attempt.url),
                    attempt.httpStatus.map { .integer($0) } ?? .null, .integer(Int(attempt.latencyMilliseconds)),
                    .optionalText(attempt.error),
                ]
            )
            let (status, nextAttempt, error, completed) = Self.columns(decision)
            _ = try await connection.query(
                """
                UPDATE webhook_events SET status = ?, attempt_count = ?, next_attempt_at = ?, last_error = ?,
                    completed_at = ?, lease_until = NULL
                WHERE id = ?
                """,
                [.text(status.rawValue), .integer(attempt.number), nextAttempt, .optionalText(error), completed, .text(attempt.eventID)]
            )
        }
    }

    public func recordNoEndpoint(eventID: String, at time: Date) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE webhook_events SET status = 'no_endpoint', next_attempt_at = NULL, completed_at = ?,
                    last_error = 'no notify_url on the intent and no default notify URL', lease_until = NULL
                WHERE id = ?
                """,
                [.millis(time), .text(eventID)]
            )
        }
    }

    static func columns(_ decision: DeliveryDecision) -> (DeliveryStatus, SQLiteData, String?, SQLiteData) {
        switch decision {
        case .succeeded(let time): (.succeeded, .null, nil, .millis(time))
        case .retry(let time, let error): (.pending, .millis(time), error, .null)
        case .failed(let time, let error): (.failed, .null, error, .millis(time))
        case .noEndpoint(let time): (.noEndpoint, .null, nil, .millis(time))
        }
    }

    /// How many of the oldest claimable events a claim ranks. Merchants and URLs without room are
    /// left out before this limit, so a merchant at its cap does not hide the others behind its backlog.
    static let claimCandidates = 1000

    /// One embedded database file per gateway process: its leases are this process's own.
    public var leasesAreExclusiveToThisProcess: Bool { true }

    public func releaseAllLeases() async throws {
        try await database.transaction { connection in
            _ = try await connection.query("UPDATE webhook_events SET lease_until = NULL WHERE lease_until IS NOT NULL")
        }
    }

    public func deliveries(merchantUID: Int64, filter: DeliveryFilter) async throws -> [WebhookDelivery] {
        var conditions = ["merchant_uid = ?"]
        var values: [SQLiteData] = [.integer(Int(merchantUID))]
        if let orderID = filter.orderID { conditions.append("order_id = ?"); values.append(.text(orderID)) }
        if let status = filter.status { conditions.append("status = ?"); values.append(.text(status.rawValue)) }
        if let from = filter.createdFrom { conditions.append("created_at >= ?"); values.append(.millis(from)) }
        if let to = filter.createdTo { conditions.append("created_at < ?"); values.append(.millis(to)) }
        if let after = filter.after { conditions.append("seq > ?"); values.append(.integer(Int(after))) }
        values.append(.integer(filter.limit))
        let sql = "SELECT * FROM webhook_events WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT ?"
        let parameters = values
        return try await database.withConnection { connection in
            try await connection.query(sql, parameters).map(Self.delivery)
        }
    }

    public func delivery(merchantUID: Int64, eventID: String) async throws -> WebhookDelivery? {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT * FROM webhook_events WHERE id = ? AND merchant_uid = ?", [.text(eventID), .integer(Int(merchantUID))]
            ).first.map(Self.delivery)
        }
    }

    public func attempts(eventID: String) async throws -> [DeliveryAttempt] {
        try await database.withConnection { connection in
            try await connection.query("SELECT * FROM webhook_attempts WHERE event_id = ? ORDER BY number, id", [.text(eventID)]).map { row in
                DeliveryAttempt(
                    eventID: try row.text("event_id"), number: Int(try row.int64("number")), startedAt: try row.date("started_at"),
                    url: try row.text("url"), httpStatus: row.column("http_status")?.integer,
                    latencyMilliseconds: try row.int64("latency_ms"), error: row.optionalText("error")
                )
            }
        }
    }

    public func requeue(merchantUID: Int64, eventID: String, now: Date) async throws -> WebhookDelivery? {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE webhook_events SET status = 'pending', next_attempt_at = ?, completed_at = NULL
                WHERE id = ? AND merchant_uid = ?
                """,
                [.millis(now), .text(eventID), .integer(Int(merchantUID))]
            )
            return try await connection.query(
                "SELECT * FROM webhook_events WHERE id = ? AND merchant_uid = ?", [.text(eventID), .integer(Int(merchantUID))]
            ).first.map(Self.delivery)
        }
    }

    public func outboxBacklog() async throws -> OutboxBacklog {
        try await database.withConnection { connection in
            let row = try await connection.query(
                """
                SELECT (SELECT COUNT(*) FROM webhook_events WHERE status = 'pending') AS pending,
                       (SELECT MIN(created_at) FROM webhook_events WHERE status = 'pending') AS oldest,
                       (SELECT COUNT(*) FROM webhook_events WHERE status = 'failed') AS failed
                """
            ).first
            return OutboxBacklog(
                pending: row?.column("pending")?.integer ?? 0, oldestPendingCreatedAt: row?.optionalDate("oldest"),
                failed: row?.column("failed")?.integer ?? 0
            )
        }
    }

    static func delivery(_ row: SQLiteRow) throws -> WebhookDelivery {
        guard let status = DeliveryStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "webhook_events.status")
        }
        return WebhookDelivery(
            event: try event(row), status: status, attemptCount: Int(try row.int64("attempt_count")),
            nextAttemptAt: row.optionalDate("next_attempt_at"), lastError: row.optionalText("last_error"),
            completedAt: row.optionalDate("completed_at"), sequence: try row.int64("seq")
        )
    }
}
