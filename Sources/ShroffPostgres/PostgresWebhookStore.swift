import Foundation
import PostgresNIO
import ShroffCore

extension PostgresStore: WebhookStore {
    public func claimDueDeliveries(now: Date, limits: DeliveryClaimLimits, lease: Duration) async throws -> [DeliveryJob] {
        let leaseUntil = now.addingTimeInterval(lease.timeInterval).millis
        let roomMerchants = Array(limits.merchantRoom.keys)
        let merchantRooms = roomMerchants.map { Int64(limits.merchantRoom[$0] ?? 0) }
        let roomURLs = Array(limits.urlRoom.keys)
        let urlRooms = roomURLs.map { Int64(limits.urlRoom[$0] ?? 0) }
        // Due, not leased, and the oldest pending event of its intent (per-intent order across nodes:
        // a later event waits while an earlier one is pending, whoever holds it), with room left for
        // its merchant and its target URL; the oldest `claimCandidates` of those ranked within their
        // merchant and their URL, so that merchants take turns and neither gets more than its room. The ranking cannot lock (no FOR UPDATE beside a window function): the rows it picks
        // are locked afterwards and their lease checked again on the locked row. SKIP LOCKED lets
        // racing claimers pass over each other's rows instead of waiting for them or taking them too.
        let rows = try await rows("""
            WITH candidates AS (
                SELECT e.seq, e.merchant_uid, e.next_attempt_at, COALESCE(e.notify_url, m.default_notify_url, '') AS url,
                       COALESCE(merchant_room.free, \(Int64(limits.perMerchant))) AS merchant_room,
                       COALESCE(url_room.free, \(Int64(limits.perURL))) AS url_room
                FROM webhook_events e
                JOIN merchants m ON m.uid = e.merchant_uid
                LEFT JOIN unnest(\(roomMerchants)::BIGINT[], \(merchantRooms)::BIGINT[]) AS merchant_room(uid, free)
                    ON merchant_room.uid = e.merchant_uid
                LEFT JOIN unnest(\(roomURLs)::TEXT[], \(urlRooms)::BIGINT[]) AS url_room(url, free)
                    ON url_room.url = COALESCE(e.notify_url, m.default_notify_url, '')
                WHERE e.status = 'pending' AND e.next_attempt_at <= \(now.millis)
                  AND (e.lease_until IS NULL OR e.lease_until <= \(now.millis))
                  AND NOT EXISTS (
                      SELECT 1 FROM webhook_events p
                      WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status = 'pending'
                  )
                  AND COALESCE(merchant_room.free, \(Int64(limits.perMerchant))) > 0
                  AND COALESCE(url_room.free, \(Int64(limits.perURL))) > 0
                ORDER BY e.next_attempt_at, e.seq
                LIMIT \(Self.claimCandidates)
            ),
            ranked AS (
                SELECT seq, merchant_room, url_room,
                       ROW_NUMBER() OVER (PARTITION BY merchant_uid ORDER BY next_attempt_at, seq) AS merchant_rank,
                       ROW_NUMBER() OVER (PARTITION BY url ORDER BY next_attempt_at, seq) AS url_rank
                FROM candidates
            ),
            due AS (
                SELECT e.seq FROM webhook_events e JOIN ranked r ON r.seq = e.seq
                WHERE r.merchant_rank <= r.merchant_room AND r.url_rank <= r.url_room
                  AND e.status = 'pending' AND (e.lease_until IS NULL OR e.lease_until <= \(now.millis))
                ORDER BY r.merchant_rank, e.next_attempt_at, e.seq
                LIMIT \(limits.limit)
                FOR UPDATE OF e SKIP LOCKED
            )
            UPDATE webhook_events e SET lease_until = \(leaseUntil)
            FROM due, merchants m
            WHERE e.seq = due.seq AND m.uid = e.merchant_uid
            RETURNING e.*, m.default_notify_url, m.webhook_secret, m.previous_webhook_secret,
                      m.previous_webhook_secret_expires_at
            """)
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

    public func postponeDelivery(eventID: String, until: Date, note: String?) async throws {
        try await rows("""
            UPDATE webhook_events SET next_attempt_at = \(until.millis), last_error = COALESCE(\(note), last_error), lease_until = NULL
            WHERE id = \(eventID) AND status = 'pending'
            """)
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

    /// How many of the oldest claimable events a claim ranks. Merchants and URLs without room are
    /// left out before this limit, so a merchant at its cap does not hide the others behind its backlog.
    static let claimCandidates = 1000

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
