import Foundation
import ShroffCore

/// Every store of the gateway, written once over an engine (`SQLiteStore`, `PostgresStore`). Where
/// a decision depends on what was read, the rows are read with the dialect's lock in one
/// transaction, or the write is made conflict-safe (`ON CONFLICT`); queued work is claimed with
/// leases, passing over rows another node holds. Each port's part is in a file of its own.
public struct SQLStore<Engine: SQLEngine>: MerchantStore, SecretStore, DatabaseProbe {
    public let database: Engine

    public init(database: Engine) {
        self.database = database
    }

    var dialect: SQLDialect { database.dialect }

    public func ping() async throws {
        try await database.ping()
    }

    /// The row of `table` whose key `column` is `value`, read with the dialect's lock: other
    /// transactions that would change it wait until this one ends.
    func lockedRow(of table: String, where column: String, is value: String, on session: any SQLSession) async throws -> SQLRow? {
        try await session.run("SELECT * FROM \(table) WHERE \(column) = ? \(dialect.lockForUpdate)", value).first
    }

    /// The rows one read statement finds, as domain values.
    func read<T>(_ sql: String, _ binds: any SQLBindable..., as map: (SQLRow) throws -> T) async throws -> [T] {
        let statement = SQLStatement(sql, binds)
        return try await database.read { try await $0.run(statement) }.map(map)
    }

    /// The first row one read statement finds, as a domain value.
    func readFirst<T>(_ sql: String, _ binds: any SQLBindable..., as map: (SQLRow) throws -> T) async throws -> T? {
        let statement = SQLStatement(sql, binds)
        return try await database.read { try await $0.run(statement) }.first.map(map)
    }

    // MARK: Merchants

    public func createMerchant(_ merchant: Merchant) async throws -> Merchant {
        let rows = try await database.write { session in
            try await session.run(
                """
                INSERT INTO merchants (
                    name, client_id, api_key_hash, webhook_secret, h5_domain, default_notify_url, created_at,
                    default_settlement_currency
                )
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING uid
                """,
                merchant.name, merchant.clientID, merchant.apiKeyHash, merchant.webhookSecret, merchant.h5Domain,
                merchant.defaultNotifyURL, merchant.createdAt, merchant.defaultSettlementCurrency
            )
        }
        guard let uid = try rows.first?.int64("uid") else { throw StoredDataError(column: "merchants.uid") }
        var saved = merchant
        saved.uid = uid
        return saved
    }

    public func merchant(clientID: String) async throws -> Merchant? {
        try await readFirst("SELECT * FROM merchants WHERE client_id = ?", clientID, as: Rows.merchant)
    }

    public func merchant(uid: Int64) async throws -> Merchant? {
        try await readFirst("SELECT * FROM merchants WHERE uid = ?", uid, as: Rows.merchant)
    }

    public func merchantCount() async throws -> Int {
        Int(try await readFirst("SELECT COUNT(*) AS n FROM merchants", as: { try $0.int64("n") }) ?? 0)
    }

    public func rotateWebhookSecret(uid: Int64, newSecret: String, previousValidUntil: Date) async throws -> Merchant? {
        try await database.write { session in
            try await session.run(
                """
                UPDATE merchants SET previous_webhook_secret = webhook_secret, previous_webhook_secret_expires_at = ?,
                    webhook_secret = ?
                WHERE uid = ?
                RETURNING *
                """,
                previousValidUntil, newSecret, uid
            )
        }.first.map(Rows.merchant)
    }

    public func setDefaultNotifyURL(uid: Int64, url: String?) async throws -> Merchant? {
        try await database.write { try await $0.run("UPDATE merchants SET default_notify_url = ? WHERE uid = ? RETURNING *", url, uid) }
            .first.map(Rows.merchant)
    }

    // MARK: Secrets

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let select = "SELECT value FROM secrets WHERE name = ?"
        if let existing = try await readFirst(select, name, as: { try $0.bytes("value") }) { return existing }
        // Racing creators (on any node): the first insert wins, everyone reads the winner's bytes.
        let candidate = make()
        let stored = try await database.write { session in
            try await session.run("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, candidate)
            return try await session.run(select, name)
        }
        guard let stored = stored.first else { throw StoredDataError(column: "secrets.value") }
        return try stored.bytes("value")
    }
}
