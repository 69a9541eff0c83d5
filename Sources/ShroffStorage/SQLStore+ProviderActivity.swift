import Foundation
import ShroffCore

extension SQLStore: ProviderActivityLog {
    /// How many rows of provider activity are kept (the newest); older ones go as new ones come.
    static var providerActivityRows: Int { 200_000 }

    public func record(_ activity: ProviderActivity) async throws {
        try await database.write { session in
            let inserted = try await session.run(
                """
                INSERT INTO provider_activity (order_id, at, kind, provider, operation, outcome, latency_ms, result_code, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                activity.orderID, activity.time, activity.kind.rawValue, activity.provider, activity.operation, activity.outcome,
                activity.latencyMilliseconds, activity.resultCode, activity.detail
            )
            // A range of the key: nothing to do (and cheap) until the table is full.
            if let id = try inserted.first?.int64("id"), id > Int64(Self.providerActivityRows) {
                try await session.run("DELETE FROM provider_activity WHERE id <= ?", id - Int64(Self.providerActivityRows))
            }
        }
    }

    public func providerActivity(orderID: String, limit: Int) async throws -> [ProviderActivity] {
        try await read("SELECT * FROM provider_activity WHERE order_id = ? ORDER BY id LIMIT ?", orderID, limit, as: Self.activity)
    }

    public func refusedNotifications(limit: Int) async throws -> [ProviderActivity] {
        try await read(
            "SELECT * FROM provider_activity WHERE kind = 'notification' AND outcome = 'refused' ORDER BY id DESC LIMIT ?", limit,
            as: Self.activity
        )
    }

    static func activity(_ row: SQLRow) throws -> ProviderActivity {
        guard let kind = ProviderActivity.Kind(rawValue: try row.text("kind")) else { throw StoredDataError(column: "provider_activity.kind") }
        return ProviderActivity(
            orderID: try row.optionalText("order_id"), time: try row.date("at"), kind: kind, provider: try row.text("provider"),
            operation: try row.text("operation"), outcome: try row.text("outcome"), latencyMilliseconds: try row.optionalInt64("latency_ms"),
            resultCode: try row.optionalText("result_code"), detail: try row.optionalText("detail")
        )
    }
}
