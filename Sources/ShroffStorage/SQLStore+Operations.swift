import Foundation
import ShroffCore

/// The operations records the consoles show: the merchant's request log, operator alerts and each
/// node's provider health. All three are bounded: their writers prune them.
extension SQLStore: RequestLogStore, OperatorAlertStore, NodeHealthStore {
    // MARK: The request log

    /// A batch in a few many-row INSERTs (one round trip each on PostgreSQL): chunks whose sizes are
    /// powers of two, so that at most eight statement texts ever exist for engines to cache.
    public func recordRequests(_ entries: [RequestLogEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await database.transaction { session in
            var rest = entries[...]
            while !rest.isEmpty {
                let size = min(128, 1 << (Int.bitWidth - 1 - rest.count.leadingZeroBitCount))
                var binds: [any SQLBindable] = []
                binds.reserveCapacity(size * 10)
                for entry in rest.prefix(size) {
                    binds += [
                        entry.merchantUID, entry.time, entry.method, entry.path, entry.httpStatus, entry.code.map(Int64.init), entry.requestID,
                        entry.latencyMilliseconds, entry.requestBody, entry.answerBody,
                    ] as [any SQLBindable]
                }
                let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: size).joined(separator: ", ")
                try await session.run(
                    SQLStatement(
                        "INSERT INTO request_log (merchant_uid, at, method, path, http_status, code, rid, latency_ms, request_body, answer_body) VALUES \(rows)",
                        binds
                    )
                )
                rest = rest.dropFirst(size)
            }
        }
    }

    public func requests(merchantUID: Int64, filter: RequestLogFilter) async throws -> [RequestLogEntry] {
        var conditions = ["merchant_uid = ?"]
        var binds: [any SQLBindable] = [merchantUID]
        if let rid = filter.requestID {
            conditions.append("rid = ?")
            binds.append(rid)
        }
        if let statusClass = filter.statusClass {
            conditions.append("http_status >= ? AND http_status < ?")
            binds += [statusClass * 100, statusClass * 100 + 100]
        }
        if let before = filter.beforeID {
            conditions.append("id < ?")
            binds.append(before)
        }
        let select = SQLStatement(
            "SELECT * FROM request_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", binds + [filter.limit]
        )
        return try await database.read { try await $0.run(select) }.map(Self.requestEntry)
    }

    public func request(merchantUID: Int64, id: Int64) async throws -> RequestLogEntry? {
        try await readFirst("SELECT * FROM request_log WHERE merchant_uid = ? AND id = ?", merchantUID, id, as: Self.requestEntry)
    }

    @discardableResult
    public func pruneRequests(before: Date, keepPerMerchant: Int) async throws -> Int {
        try await database.write { session in
            let old = try await session.run("DELETE FROM request_log WHERE at < ? RETURNING id", before).count
            let beyond = try await session.run(
                """
                DELETE FROM request_log WHERE id IN (
                    SELECT id FROM (
                        SELECT id, ROW_NUMBER() OVER (PARTITION BY merchant_uid ORDER BY id DESC) AS position FROM request_log
                    ) ranked WHERE position > ?
                ) RETURNING id
                """,
                keepPerMerchant
            ).count
            return old + beyond
        }
    }

    static func requestEntry(_ row: SQLRow) throws -> RequestLogEntry {
        RequestLogEntry(
            id: try row.int64("id"), merchantUID: try row.int64("merchant_uid"), time: try row.date("at"), method: try row.text("method"),
            path: try row.text("path"), httpStatus: Int(try row.int64("http_status")), code: try row.optionalInt64("code").map { Int($0) },
            requestID: try row.text("rid"), latencyMilliseconds: try row.int64("latency_ms"), requestBody: try row.text("request_body"),
            answerBody: try row.text("answer_body")
        )
    }

    // MARK: Operator alerts

    public func recordAlerts(_ alerts: [RaisedAlert]) async throws {
        guard !alerts.isEmpty else { return }
        try await database.transaction { session in
            for alert in alerts {
                try await session.run(
                    "INSERT INTO operator_alerts (kind, merchant_uid, order_id, refund_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    alert.kind.rawValue, alert.merchantUID, alert.orderID, alert.refundID, alert.detail, alert.time
                )
            }
        }
    }

    public func recentAlerts(limit: Int) async throws -> [StoredAlert] {
        try await read("SELECT * FROM operator_alerts ORDER BY id DESC LIMIT ?", limit, as: Self.storedAlert)
    }

    public func acknowledgeAlert(id: Int64, at time: Date) async throws -> StoredAlert? {
        try await database.write {
            try await $0.run("UPDATE operator_alerts SET acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ? RETURNING *", time, id)
        }.first.map(Self.storedAlert)
    }

    @discardableResult
    public func pruneAlerts(before: Date, keep: Int) async throws -> Int {
        try await database.write { session in
            let old = try await session.run("DELETE FROM operator_alerts WHERE created_at < ? RETURNING id", before).count
            guard let newest = try await session.run("SELECT MAX(id) AS newest FROM operator_alerts").first?.optionalInt64("newest") else {
                return old
            }
            return old + (try await session.run("DELETE FROM operator_alerts WHERE id <= ? RETURNING id", newest - Int64(keep)).count)
        }
    }

    static func storedAlert(_ row: SQLRow) throws -> StoredAlert {
        guard let kind = OperatorAlert(rawValue: try row.text("kind")) else { throw StoredDataError(column: "operator_alerts.kind") }
        return StoredAlert(
            id: try row.int64("id"),
            alert: RaisedAlert(
                kind, merchantUID: try row.optionalInt64("merchant_uid"), orderID: try row.optionalText("order_id"),
                refundID: try row.optionalText("refund_id"), detail: try row.text("detail"), time: try row.date("created_at")
            ),
            acknowledgedAt: try row.optionalDate("acknowledged_at")
        )
    }

    // MARK: Node health

    public func saveNodeHealth(_ health: NodeHealth) async throws {
        try await database.transaction { session in
            for provider in health.providers {
                try await session.run(
                    """
                    INSERT INTO node_health (node_id, provider, updated_at, calls, failures, breaker_state, open_until)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (node_id, provider) DO UPDATE SET updated_at = excluded.updated_at, calls = excluded.calls,
                        failures = excluded.failures, breaker_state = excluded.breaker_state, open_until = excluded.open_until
                    """,
                    health.nodeID, provider.provider, health.updatedAt, provider.calls, provider.failures, provider.breaker.rawValue,
                    provider.openUntil
                )
            }
        }
    }

    public func nodeHealth(since: Date) async throws -> [NodeHealth] {
        let rows = try await read(
            "SELECT * FROM node_health WHERE updated_at >= ? ORDER BY updated_at DESC, node_id, provider", since,
            as: { row -> (String, Date, ProviderHealth) in
                guard let state = ProviderHealth.BreakerState(rawValue: try row.text("breaker_state")) else {
                    throw StoredDataError(column: "node_health.breaker_state")
                }
                return (
                    try row.text("node_id"), try row.date("updated_at"),
                    ProviderHealth(
                        provider: try row.text("provider"), calls: try row.int64("calls"), failures: try row.int64("failures"), breaker: state,
                        openUntil: try row.optionalDate("open_until")
                    )
                )
            }
        )
        var nodes: [NodeHealth] = []
        for (nodeID, updatedAt, provider) in rows {
            if let index = nodes.firstIndex(where: { $0.nodeID == nodeID }) {
                let node = nodes[index]
                nodes[index] = NodeHealth(nodeID: nodeID, updatedAt: max(node.updatedAt, updatedAt), providers: node.providers + [provider])
            } else {
                nodes.append(NodeHealth(nodeID: nodeID, updatedAt: updatedAt, providers: [provider]))
            }
        }
        return nodes
    }

    @discardableResult
    public func pruneNodeHealth(before: Date) async throws -> Int {
        try await database.write { try await $0.run("DELETE FROM node_health WHERE updated_at < ? RETURNING node_id", before) }.count
    }
}
