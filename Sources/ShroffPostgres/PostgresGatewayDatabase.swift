import Foundation
import Logging
import PostgresNIO

/// A PostgreSQL database shared by any number of gateway nodes: a connection pool (`PostgresClient`)
/// and the numbered migrations, applied under an advisory lock so nodes starting together don't race.
public final class PostgresGatewayDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Runs the pool; the pool serves no connection unless its `run()` is running.
    private let runner: Task<Void, Never>
    public let url: PostgresURL

    private init(client: PostgresClient, url: PostgresURL, logger: Logger) {
        self.client = client
        self.url = url
        self.logger = logger
        // The pool must run before anything (migrations, the token key) can be read, which is before
        // the application's service group starts; `close()` ends it.
        self.runner = Task { await client.run() }
    }

    /// Connects, applies pending migrations and opens the pool (its connections are made on demand).
    public static func open(url: PostgresURL, logger: Logger) async throws -> PostgresGatewayDatabase {
        var poolLogger = logger
        poolLogger[metadataKey: "database"] = "\(url)"
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: poolLogger)
        // The pool's task starts now, while the migrations run on a connection of their own.
        let database = PostgresGatewayDatabase(client: client, url: url, logger: logger)
        do {
            // A direct connection: a wrong password, a missing database or a server that is not there
            // fails at once with the server's reason (the pool would keep retrying in silence).
            let connection = try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(), id: 0, logger: logger
            )
            do {
                try await migrate(on: connection, url: url, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch {
            await database.close()
            throw PostgresUnavailable(url: url, error: error)
        }
        return database
    }

    /// Ends the pool: its connections are closed.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// The highest migration this database has.
    public func schemaVersion() async throws -> Int {
        try await withConnection { connection in
            try await connection.query("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations", logger: logger)
                .collect().first.map { try $0.decode(Int.self) } ?? 0
        }
    }

    /// The highest migration this build knows.
    public static var latestVersion: Int { PostgresMigrations.all.map(\.version).max() ?? 0 }

    // MARK: Connections and transactions

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    /// Runs `body` in one transaction (READ COMMITTED; row locks where a decision depends on a read);
    /// rolls back if it throws. A deadlock or serialization failure is retried a few times.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 4 && error.isRetryableConflict {
                attempt += 1
                logger.debug("database transaction conflict; retrying", metadata: ["sqlstate": "\(error.sqlState ?? "")"])
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// The same on a connection of its own (migrations).
    static func transaction<T: Sendable>(
        on connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    // MARK: Migrations

    /// A constant key for `pg_advisory_xact_lock` ("Shroff" in ASCII), held while migrating.
    static let migrationLockKey: Int64 = 0x5368_726F_6666

    static func migrate(on connection: PostgresConnection, url: PostgresURL, logger: Logger) async throws {
        for migration in PostgresMigrations.all {
            let applied = try await transaction(on: connection, logger: logger) { connection -> Bool in
                // Serializes migrating nodes; released with the transaction.
                try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                    logger: logger
                )
                let rows = try await connection.query(
                    "SELECT version FROM schema_migrations WHERE version = \(migration.version)", logger: logger
                ).collect()
                guard rows.isEmpty else { return false }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(Date().millis))",
                    logger: logger
                )
                return true
            }
            if applied {
                logger.info("database migration applied", metadata: ["version": "\(migration.version)", "database": "\(url)"])
            }
        }
    }
}

/// The database could not be opened. Names the database without its password, and the server's
/// error code and message (which never contain the password).
public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let description: String

    init(url: PostgresURL, error: any Error) {
        var reason = String(describing: type(of: error))
        if let error = error as? PSQLError {
            reason = "\(error.code)"
            if let message = error.serverInfo?[.message] { reason += ": \(message)" }
            if let state = error.sqlState { reason += " (SQLSTATE \(state))" }
        }
        description = "cannot open the PostgreSQL database \(url): \(reason)"
    }
}

extension PSQLError {
    var sqlState: String? { serverInfo?[.sqlState] }

    /// A serialization failure or a deadlock: the transaction can simply run again.
    var isRetryableConflict: Bool { ["40001", "40P01"].contains(sqlState ?? "") }
}

/// Append-only numbered migrations, numbered as SQLite's (`SQLiteMigrations`) so that a schema
/// version means the same on both: never edit one that has shipped, add the next to both lists.
/// Times are integer milliseconds since 1970 and amounts integer minor units, as on SQLite.
enum PostgresMigrations {
    struct Migration {
        let version: Int
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE merchants (
                uid BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 12009321) PRIMARY KEY,
                name TEXT NOT NULL,
                client_id TEXT NOT NULL UNIQUE,
                api_key_hash TEXT NOT NULL,
                webhook_secret TEXT NOT NULL,
                h5_domain TEXT,
                default_notify_url TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE payment_intents (
                order_id TEXT PRIMARY KEY,
                merchant_uid BIGINT NOT NULL REFERENCES merchants(uid),
                merchant_order_id TEXT NOT NULL,
                amount_minor BIGINT NOT NULL,
                currency TEXT NOT NULL,
                description TEXT NOT NULL,
                notify_url TEXT,
                return_url TEXT,
                method TEXT NOT NULL,
                status TEXT NOT NULL,
                next_action_type TEXT,
                next_action_url TEXT,
                create_time BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                pay_time BIGINT,
                provider_payment_id TEXT,
                wallet_used TEXT,
                settle_currency TEXT,
                failure_code TEXT,
                refunded_minor BIGINT NOT NULL DEFAULT 0,
                request_fingerprint TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (merchant_uid, merchant_order_id)
            )
            """,
            "CREATE INDEX payment_intents_status_expiry ON payment_intents (status, expires_at)",
            """
            CREATE TABLE webhook_events (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                merchant_uid BIGINT NOT NULL,
                order_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_events_order ON webhook_events (order_id, seq)",
            "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
        ]),
        // Webhook delivery: state on the outbox rows, every attempt recorded, secret rotation.
        Migration(version: 2, statements: [
            "ALTER TABLE webhook_events ADD COLUMN notify_url TEXT",
            "ALTER TABLE webhook_events ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'",
            "ALTER TABLE webhook_events ADD COLUMN attempt_count BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE webhook_events ADD COLUMN next_attempt_at BIGINT",
            "ALTER TABLE webhook_events ADD COLUMN lease_until BIGINT",
            "ALTER TABLE webhook_events ADD COLUMN last_error TEXT",
            "ALTER TABLE webhook_events ADD COLUMN completed_at BIGINT",
            "UPDATE webhook_events SET next_attempt_at = created_at",
            "CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at)",
            "CREATE INDEX webhook_events_merchant ON webhook_events (merchant_uid, seq)",
            """
            CREATE TABLE webhook_attempts (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id TEXT NOT NULL REFERENCES webhook_events(id),
                number BIGINT NOT NULL,
                started_at BIGINT NOT NULL,
                url TEXT NOT NULL,
                http_status BIGINT,
                latency_ms BIGINT NOT NULL,
                error TEXT
            )
            """,
            "CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, number)",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret TEXT",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret_expires_at BIGINT",
        ]),
        // Refunds, and the reconciliation schedule of intents (and refunds).
        Migration(version: 3, statements: [
            "ALTER TABLE payment_intents ADD COLUMN check_at BIGINT",
            "ALTER TABLE payment_intents ADD COLUMN check_count BIGINT NOT NULL DEFAULT 0",
            "UPDATE payment_intents SET check_at = create_time WHERE status = 'PENDING'",
            "CREATE INDEX payment_intents_check ON payment_intents (status, check_at)",
            """
            CREATE TABLE refunds (
                refund_id TEXT PRIMARY KEY,
                merchant_uid BIGINT NOT NULL REFERENCES merchants(uid),
                order_id TEXT NOT NULL REFERENCES payment_intents(order_id),
                merchant_refund_id TEXT NOT NULL,
                amount_minor BIGINT NOT NULL,
                currency TEXT NOT NULL,
                reason TEXT,
                status TEXT NOT NULL,
                provider_refund_id TEXT,
                failure_code TEXT,
                create_time BIGINT NOT NULL,
                finish_time BIGINT,
                request_fingerprint TEXT NOT NULL,
                check_at BIGINT,
                check_count BIGINT NOT NULL DEFAULT 0,
                UNIQUE (merchant_uid, merchant_refund_id)
            )
            """,
            "CREATE INDEX refunds_order ON refunds (order_id)",
            "CREATE INDEX refunds_check ON refunds (status, check_at)",
        ]),
        // mobile_web: when the latest WAP URL issued can no longer open a trade, and a payment that
        // landed on the intent after it was cancelled.
        Migration(version: 4, statements: [
            "ALTER TABLE payment_intents ADD COLUMN trade_link_closes_at BIGINT",
            "ALTER TABLE payment_intents ADD COLUMN late_payment_time BIGINT",
        ]),
        Migration(version: 5, statements: [
            "ALTER TABLE merchants ADD COLUMN default_settlement_currency TEXT NOT NULL DEFAULT 'HKD'",
        ]),
        Migration(version: 6, statements: [
            "ALTER TABLE payment_intents ADD COLUMN next_action_details TEXT",
        ]),
    ]
}
