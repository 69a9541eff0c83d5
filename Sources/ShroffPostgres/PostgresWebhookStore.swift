import Foundation
import PostgresNIO
import ShroffCore

extension PostgresStore: WebhookStore {
    public func claimDueDeliveries(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob] {
        let leaseUntil = now.addingTimeInterval(lease.timeInterval).millis
        let rows = try await rows("""
            WITH due AS (
                SELECT e.seq FROM webhook_events e
                WHERE e.status = 'pending' AND e.next_attempt_at <= \(now.millis)
                  AND (e.lease_until IS NULL OR e.lease_until <= \(now.millis))
                  AND NOT EXISTS (
                      SELECT 1 FROM webhook_events p
                      WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status = 'pending'
                  )
                ORDER BY e.next_attempt_at, e.seq
                LIMIT \(limit)
                FOR UPDATE OF e SKIP LOCKED
            )
            UPDATE webhook_events e SET lease_until = \(leaseUntil)
            FROM due, merchants m
            WHERE e.seq = due.seq AND m.uid = e.merchant_uid
            RETURNING e.*, m.default_notify_url, m.webhook_secret, m.previous_webhook_secret,
                      m.previous_webhook_secret_expires_at
            """)
        // Due, not leased, and the oldest pending event of its intent (per-intent order across nodes:
        // a later event waits while an earlier one is pending, whoever holds it). SKIP LOCKED lets
        // racing claimers pass over each other's rows instead of waiting for them or taking them too.
        var jobs: [DeliveryJob] = []
        for row in rows {
            let columns = Columns(row)
            let delivery = try Rows.delivery(row)
            let merchant = Merchant(
                uid: delivery.event.merchantUID, name: "", clientID: "", apiKeyHash: "",
                webhookSecret: try columns.text("webhook_secret"), h5Domain: nil,
                defaultNotifyURL: try columns.optionalText("default_notify_url"), createdAt: now,
                previousWebhookSecret: try columns.optionalText("previous_webhook_secret"),
                previousWebhookSecretExpiresAt: try columns.optionalDate("previous_webhook_secret_expires_at")
            )
            jobs.append(DeliveryJob(
                delivery: delivery, url: delivery.event.notifyURL ?? merchant.defaultNotifyURL,
                secrets: merchant.signingSecrets(at: now)
            ))
        }
        return jobs.sorted { ($0.delivery.nextAttemptAt ?? now, $0.delivery.sequence) < ($1.delivery.nextAttemptAt ?? now, $1.delivery.sequence) }
    }

    public func recordAttempt(_ attempt: DeliveryAttempt, decision: DeliveryDecision) async throws {
        let (status, nextAttempt, error, completed) = Self.columns(decision)
        try await database.transaction { connection in
            try await rows("""
                INSERT INTO webhook_attempts (event_id, number, started_at, url, http_status, latency_ms, error)
                VALUES (\(attempt.eventID), \(attempt.number), \(attempt.startedAt.millis), \(attempt.url),
                        \(attempt.httpStatus), \(attempt.latencyMilliseconds), \(attempt.error))
                """, on: connection)
            try await rows("""
                UPDATE webhook_events SET status = \(status.rawValue), attempt_count = \(attempt.number),
                    next_attempt_at = \(nextAttempt), last_error = \(error), completed_at = \(completed), lease_until = NULL
                WHERE id = \(attempt.eventID)
                """, on: connection)
        }
    }

    public func recordNoEndpoint(eventID: String, at time: Date) async throws {
        try await rows("""
            UPDATE webhook_events SET status = 'no_endpoint', next_attempt_at = NULL, completed_at = \(time.millis),
                last_error = 'no notify_url on the intent and no default notify URL', lease_until = NULL
            WHERE id = \(eventID)
            """)
    }

    static func columns(_ decision: DeliveryDecision) -> (DeliveryStatus, Int64?, String?, Int64?) {
        switch decision {
        case .succeeded(let time): (.succeeded, nil, nil, time.millis)
        case .retry(let time, let error): (.pending, time.millis, error, nil)
        case .failed(let time, let error): (.failed, nil, error, time.millis)
        case .noEndpoint(let time): (.noEndpoint, nil, nil, time.millis)
        }
    }

    /// Several nodes share this database: a lease left by a node that died ends when it runs out.
    public var leasesAreExclusiveToThisProcess: Bool { false }

    /// Does nothing: a lease here may be another node's, on work it is doing right now.
    public func releaseAllLeases() async throws {}

    public func deliveries(merchantUID: Int64, filter: DeliveryFilter) async throws -> [WebhookDelivery] {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        func condition(_ sql: String, _ value: some PostgresNonThrowingEncodable) {
            bindings.append(value)
            conditions.append(sql.replacingOccurrences(of: "?", with: "$\(bindings.count)"))
        }
        condition("merchant_uid = ?", merchantUID)
        if let orderID = filter.orderID { condition("order_id = ?", orderID) }
        if let status = filter.status { condition("status = ?", status.rawValue) }
        if let from = filter.createdFrom { condition("created_at >= ?", from.millis) }
        if let to = filter.createdTo { condition("created_at < ?", to.millis) }
        if let after = filter.after { condition("seq > ?", after) }
        bindings.append(filter.limit)
        let sql = "SELECT * FROM webhook_events WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT $\(bindings.count)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Rows.delivery)
    }

    public func delivery(merchantUID: Int64, eventID: String) async throws -> WebhookDelivery? {
        try await rows("SELECT * FROM webhook_events WHERE id = \(eventID) AND merchant_uid = \(merchantUID)").first.map(Rows.delivery)
    }

    public func attempts(eventID: String) async throws -> [DeliveryAttempt] {
        try await rows("SELECT * FROM webhook_attempts WHERE event_id = \(eventID) ORDER BY number, id").map(Rows.attempt)
    }

    public func requeue(merchantUID: Int64, eventID: String, now: Date) async throws -> WebhookDelivery? {
        try await rows("""
            UPDATE webhook_events SET status = 'pending', next_attempt_at = \(now.millis), completed_at = NULL
            WHERE id = \(eventID) AND merchant_uid = \(merchantUID)
            RETURNING *
            """).first.map(Rows.delivery)
    }

    public func outboxBacklog() async throws -> OutboxBacklog {
        let row = try await rows("""
            SELECT COUNT(*) FILTER (WHERE status = 'pending')::BIGINT AS pending,
                   MIN(created_at) FILTER (WHERE status = 'pending') AS oldest,
                   COUNT(*) FILTER (WHERE status = 'failed')::BIGINT AS failed
            FROM webhook_events WHERE status IN ('pending', 'failed')
            """).first
        guard let row else { return OutboxBacklog(pending: 0, oldestPendingCreatedAt: nil, failed: 0) }
        let columns = Columns(row)
        return OutboxBacklog(
            pending: Int(try columns.int64("pending")), oldestPendingCreatedAt: try columns.optionalDate("oldest"),
            failed: Int(try columns.int64("failed"))
        )
    }
}
