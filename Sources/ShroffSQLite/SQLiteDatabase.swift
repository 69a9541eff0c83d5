import Foundation
import Logging
import SQLiteNIO

/// The embedded SQLite database: one file in the data folder, WAL journal, numbered migrations.
public final class SQLiteDatabase: Sendable {
    let connection: SQLiteConnection
    private let gate = TransactionGate()

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the database file and applies pending migrations.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        try protectFiles(path: path)
        // Another process may hold the write lock for a moment (a server next to `merchants create`):
        // a lock that outlasts the busy timeout is waited out a few more times.
        var attempt = 0
        while true {
            do {
                return try await openOnce(path: path, logger: logger)
            } catch let error as SQLiteError where error.reason == .busy && attempt < 4 {
                attempt += 1
                logger.warning("database busy while opening; retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(250 * attempt))
            }
        }
    }

    /// The database holds the token signing key and the webhook secrets: a folder it creates is
    /// 0700, and the file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files
    /// the database file's mode); existing files are narrowed to 0600. A folder that already existed
    /// is left as it is (it may be shared, like /tmp).
    static func protectFiles(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        }
        let descriptor = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            _ = chmod(file, 0o600)
        }
    }

    static func openOnce(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
            let database = SQLiteDatabase(connection: connection)
            try await database.migrate(logger: logger)
            return database
        } catch {
            // A connection must be closed before it is released.
            try? await connection.close()
            throw error
        }
    }

    public func close() async throws {
        try await connection.close()
    }

    /// The highest migration this build knows (every open database has it).
    public static var latestVersion: Int { SQLiteMigrations.all.map(\.version).max() ?? 0 }

    /// Runs `body` alone on the connection, outside a transaction (single reads).
    func withConnection<T: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        await gate.acquire()
        do {
            let value = try await body(connection)
            await gate.release()
            return value
        } catch {
            await gate.release()
            throw error
        }
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so it holds the write lock from the
    /// start and never fails half-way on a lock upgrade); rolls back if it throws.
    func transaction<T: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(connection)
                _ = try await connection.query("COMMIT")
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    func migrate(logger: Logger) async throws {
        try await transaction { connection in
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
            )
        }
        for migration in SQLiteMigrations.all {
            let applied = try await transaction { connection -> Bool in
                let rows = try await connection.query("SELECT version FROM schema_migrations WHERE version = ?", [.integer(migration.version)])
                guard rows.isEmpty else { return false }
                for statement in migration.statements {
                    _ = try await connection.query(statement)
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(migration.version), .integer(Int(Date().timeIntervalSince1970))]
                )
                return true
            }
            if applied {
                logger.info("database migration applied", metadata: ["version": "\(migration.version)"])
            }
        }
    }
}

/// Append-only numbered migrations: never edit one that has shipped, add the next.
enum SQLiteMigrations {
    struct Migration {
        let version: Int
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE merchants (
                uid INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                client_id TEXT NOT NULL UNIQUE,
                api_key_hash TEXT NOT NULL,
                webhook_secret TEXT NOT NULL,
                h5_domain TEXT,
                default_notify_url TEXT,
                created_at INTEGER NOT NULL
            )
            """,
            // Merchant uids are 8-digit numbers, like the seeds' `uid`.
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('merchants', 12009320)",
            """
            CREATE TABLE payment_intents (
                order_id TEXT PRIMARY KEY,
                merchant_uid INTEGER NOT NULL REFERENCES merchants(uid),
                merchant_order_id TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                currency TEXT NOT NULL,
                description TEXT NOT NULL,
                notify_url TEXT,
                return_url TEXT,
                method TEXT NOT NULL,
                status TEXT NOT NULL,
                next_action_type TEXT,
                next_action_url TEXT,
                create_time INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                pay_time INTEGER,
                provider_payment_id TEXT,
                wallet_used TEXT,
                settle_currency TEXT,
                failure_code TEXT,
                refunded_minor INTEGER NOT NULL DEFAULT 0,
                request_fingerprint TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (merchant_uid, merchant_order_id)
            )
            """,
            "CREATE INDEX payment_intents_status_expiry ON payment_intents (status, expires_at)",
            """
            CREATE TABLE webhook_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                merchant_uid INTEGER NOT NULL,
                order_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX webhook_events_order ON webhook_events (order_id, seq)",
            "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
        ]),
        // Webhook delivery: state on the outbox rows, every attempt recorded, secret rotation.
        Migration(version: 2, statements: [
            "ALTER TABLE webhook_events ADD COLUMN notify_url TEXT",
            "ALTER TABLE webhook_events ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'",
            "ALTER TABLE webhook_events ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE webhook_events ADD COLUMN next_attempt_at INTEGER",
            "ALTER TABLE webhook_events ADD COLUMN lease_until INTEGER",
            "ALTER TABLE webhook_events ADD COLUMN last_error TEXT",
            "ALTER TABLE webhook_events ADD COLUMN completed_at INTEGER",
            "UPDATE webhook_events SET next_attempt_at = created_at",
            "CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at)",
            "CREATE INDEX webhook_events_merchant ON webhook_events (merchant_uid, seq)",
            """
            CREATE TABLE webhook_attempts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL REFERENCES webhook_events(id),
                number INTEGER NOT NULL,
                started_at INTEGER NOT NULL,
                url TEXT NOT NULL,
                http_status INTEGER,
                latency_ms INTEGER NOT NULL,
                error TEXT
            )
            """,
            "CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, number)",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret TEXT",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret_expires_at INTEGER",
        ]),
        // Refunds, and the reconciliation schedule of intents (and refunds).
        Migration(version: 3, statements: [
            "ALTER TABLE payment_intents ADD COLUMN check_at INTEGER",
            "ALTER TABLE payment_intents ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0",
            "UPDATE payment_intents SET check_at = create_time WHERE status = 'PENDING'",
            "CREATE INDEX payment_intents_check ON payment_intents (status, check_at)",
            """
            CREATE TABLE refunds (
                refund_id TEXT PRIMARY KEY,
                merchant_uid INTEGER NOT NULL REFERENCES merchants(uid),
                order_id TEXT NOT NULL REFERENCES payment_intents(order_id),
                merchant_refund_id TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                currency TEXT NOT NULL,
                reason TEXT,
                status TEXT NOT NULL,
                provider_refund_id TEXT,
                failure_code TEXT,
                create_time INTEGER NOT NULL,
                finish_time INTEGER,
                request_fingerprint TEXT NOT NULL,
                check_at INTEGER,
                check_count INTEGER NOT NULL DEFAULT 0,
                UNIQUE (merchant_uid, merchant_refund_id)
            )
            """,
            "CREATE INDEX refunds_order ON refunds (order_id)",
            "CREATE INDEX refunds_check ON refunds (status, check_at)",
        ]),
        // mobile_web: when the latest WAP URL issued can no longer open a trade, and a payment that
        // landed on the intent after it was cancelled.
        Migration(version: 4, statements: [
            "ALTER TABLE payment_intents ADD COLUMN trade_link_closes_at INTEGER",
            "ALTER TABLE payment_intents ADD COLUMN late_payment_time INTEGER",
        ]),
        // Seed 000: an intent without a settlement currency settles in the merchant's default one.
        Migration(version: 5, statements: [
            "ALTER TABLE merchants ADD COLUMN default_settlement_currency TEXT NOT NULL DEFAULT 'HKD'",
        ]),
        // The provider's form details of a next action (POST fields, code type, display hint).
        Migration(version: 6, statements: [
            "ALTER TABLE payment_intents ADD COLUMN next_action_details TEXT",
        ]),
    ]
}
