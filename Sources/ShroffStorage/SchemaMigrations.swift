import Foundation
import Logging

/// One numbered change of the schema, for every engine (its types from the engine's dialect).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (SQLDialect) -> [String]
}

/// The schema's numbered migrations, one list for every engine, so that a schema version means the
/// same on each. Append-only: never edit one that has shipped, add the next. `schema_migrations`
/// lists the versions a database has.
public enum SchemaMigrations {
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }
    /// The versions listed, in order (a branch may list a later one before an earlier one is merged).
    public static var versions: [Int] { all.map(\.version) }

    /// Applies, in order, each migration the database does not list yet, each in a transaction of
    /// its own run by `transaction`, and logs each one applied.
    public static func apply(
        dialect: SQLDialect, logger: Logger, metadata: Logger.Metadata = [:],
        transaction: ((any SQLSession) async throws -> Bool) async throws -> Bool
    ) async throws {
        for migration in all {
            let applied = try await transaction { session in
                if let lock = dialect.migrationLock { try await session.run(lock) }
                try await session.run(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version \(dialect.integer) PRIMARY KEY, applied_at \(dialect.integer) NOT NULL)"
                )
                guard try await session.run("SELECT version FROM schema_migrations WHERE version = ?", migration.version).isEmpty else {
                    return false
                }
                for statement in migration.statements(dialect) {
                    try await session.run(statement)
                }
                try await session.run(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", migration.version, dialect.migrationTime(Date())
                )
                return true
            }
            if applied {
                logger.info("database migration applied", metadata: metadata.merging(["version": "\(migration.version)"]) { $1 })
            }
        }
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "merchants, payment intents, the webhook outbox, secrets") { d in
            // Merchant uids are 8-digit numbers, like the seeds' `uid`.
            let merchantKey = d.generatedKeyStarting("merchants", 12_009_321)
            return [
                """
                CREATE TABLE merchants (
                    uid \(merchantKey.definition),
                    name TEXT NOT NULL,
                    client_id TEXT NOT NULL UNIQUE,
                    api_key_hash TEXT NOT NULL,
                    webhook_secret TEXT NOT NULL,
                    h5_domain TEXT,
                    default_notify_url TEXT,
                    created_at \(d.integer) NOT NULL
                )
                """,
            ] + merchantKey.statements + [
                """
                CREATE TABLE payment_intents (
                    order_id TEXT PRIMARY KEY,
                    merchant_uid \(d.integer) NOT NULL REFERENCES merchants(uid),
                    merchant_order_id TEXT NOT NULL,
                    amount_minor \(d.integer) NOT NULL,
                    currency TEXT NOT NULL,
                    description TEXT NOT NULL,
                    notify_url TEXT,
                    return_url TEXT,
                    method TEXT NOT NULL,
                    status TEXT NOT NULL,
                    next_action_type TEXT,
                    next_action_url TEXT,
                    create_time \(d.integer) NOT NULL,
                    expires_at \(d.integer) NOT NULL,
                    pay_time \(d.integer),
                    provider_payment_id TEXT,
                    wallet_used TEXT,
                    settle_currency TEXT,
                    failure_code TEXT,
                    refunded_minor \(d.integer) NOT NULL DEFAULT 0,
                    request_fingerprint TEXT NOT NULL,
                    updated_at \(d.integer) NOT NULL,
                    UNIQUE (merchant_uid, merchant_order_id)
                )
                """,
                "CREATE INDEX payment_intents_status_expiry ON payment_intents (status, expires_at)",
                """
                CREATE TABLE webhook_events (
                    seq \(d.generatedKey),
                    id TEXT NOT NULL UNIQUE,
                    merchant_uid \(d.integer) NOT NULL,
                    order_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at \(d.integer) NOT NULL
                )
                """,
                "CREATE INDEX webhook_events_order ON webhook_events (order_id, seq)",
                "CREATE TABLE secrets (name TEXT PRIMARY KEY, value \(d.bytes) NOT NULL)",
            ]
        },
        Migration(version: 2, name: "webhook delivery: state on the outbox rows, every attempt recorded, secret rotation") { d in [
            "ALTER TABLE webhook_events ADD COLUMN notify_url TEXT",
            "ALTER TABLE webhook_events ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'",
            "ALTER TABLE webhook_events ADD COLUMN attempt_count \(d.integer) NOT NULL DEFAULT 0",
            "ALTER TABLE webhook_events ADD COLUMN next_attempt_at \(d.integer)",
            "ALTER TABLE webhook_events ADD COLUMN lease_until \(d.integer)",
            "ALTER TABLE webhook_events ADD COLUMN last_error TEXT",
            "ALTER TABLE webhook_events ADD COLUMN completed_at \(d.integer)",
            "UPDATE webhook_events SET next_attempt_at = created_at",
            "CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at)",
            "CREATE INDEX webhook_events_merchant ON webhook_events (merchant_uid, seq)",
            """
            CREATE TABLE webhook_attempts (
                id \(d.generatedKey),
                event_id TEXT NOT NULL REFERENCES webhook_events(id),
                number \(d.integer) NOT NULL,
                started_at \(d.integer) NOT NULL,
                url TEXT NOT NULL,
                http_status \(d.integer),
                latency_ms \(d.integer) NOT NULL,
                error TEXT
            )
            """,
            "CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, number)",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret TEXT",
            "ALTER TABLE merchants ADD COLUMN previous_webhook_secret_expires_at \(d.integer)",
        ] },
        Migration(version: 3, name: "refunds, and the reconciliation schedule of intents and refunds") { d in [
            "ALTER TABLE payment_intents ADD COLUMN check_at \(d.integer)",
            "ALTER TABLE payment_intents ADD COLUMN check_count \(d.integer) NOT NULL DEFAULT 0",
            "UPDATE payment_intents SET check_at = create_time WHERE status = 'PENDING'",
            "CREATE INDEX payment_intents_check ON payment_intents (status, check_at)",
            """
            CREATE TABLE refunds (
                refund_id TEXT PRIMARY KEY,
                merchant_uid \(d.integer) NOT NULL REFERENCES merchants(uid),
                order_id TEXT NOT NULL REFERENCES payment_intents(order_id),
                merchant_refund_id TEXT NOT NULL,
                amount_minor \(d.integer) NOT NULL,
                currency TEXT NOT NULL,
                reason TEXT,
                status TEXT NOT NULL,
                provider_refund_id TEXT,
                failure_code TEXT,
                create_time \(d.integer) NOT NULL,
                finish_time \(d.integer),
                request_fingerprint TEXT NOT NULL,
                check_at \(d.integer),
                check_count \(d.integer) NOT NULL DEFAULT 0,
                UNIQUE (merchant_uid, merchant_refund_id)
            )
            """,
            "CREATE INDEX refunds_order ON refunds (order_id)",
            "CREATE INDEX refunds_check ON refunds (status, check_at)",
        ] },
        // When the latest WAP URL issued can no longer open a trade, and a payment that landed on
        // the intent after it was cancelled.
        Migration(version: 4, name: "mobile_web: trade link closing time, payment after cancel") { d in [
            "ALTER TABLE payment_intents ADD COLUMN trade_link_closes_at \(d.integer)",
            "ALTER TABLE payment_intents ADD COLUMN late_payment_time \(d.integer)",
        ] },
        // Seed 000: an intent without a settlement currency settles in the merchant's default one.
        Migration(version: 5, name: "the merchant's default settlement currency") { _ in [
            "ALTER TABLE merchants ADD COLUMN default_settlement_currency TEXT NOT NULL DEFAULT 'HKD'",
        ] },
        // The provider's form details of a next action (POST fields, code type, display hint).
        Migration(version: 6, name: "next action details") { _ in [
            "ALTER TABLE payment_intents ADD COLUMN next_action_details TEXT",
        ] },
        // The merchant dashboard and operator console (issue 17): browser sessions shared by every
        // node (only the token's hash), the payment list's index (newest first per merchant), and
        // merchants the operator disabled.
        Migration(version: 7, name: "console sessions, the payment list index, disabled merchants, provider activity") { d in [
            """
            CREATE TABLE console_sessions (
                token_hash TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                merchant_uid \(d.integer) REFERENCES merchants(uid),
                csrf_token TEXT NOT NULL,
                created_at \(d.integer) NOT NULL,
                expires_at \(d.integer) NOT NULL
            )
            """,
            "CREATE INDEX console_sessions_expiry ON console_sessions (expires_at)",
            "CREATE INDEX payment_intents_merchant_created ON payment_intents (merchant_uid, create_time, order_id)",
            "CREATE INDEX refunds_merchant_order ON refunds (merchant_uid, order_id)",
            "ALTER TABLE merchants ADD COLUMN disabled_at \(d.integer)",
            // Provider calls and notifications for the payment timeline: a bounded table, the
            // newest `SQLStore.providerActivityRows` rows.
            """
            CREATE TABLE provider_activity (
                id \(d.generatedKey),
                order_id TEXT,
                at \(d.integer) NOT NULL,
                kind TEXT NOT NULL,
                provider TEXT NOT NULL,
                operation TEXT NOT NULL,
                outcome TEXT NOT NULL,
                latency_ms \(d.integer),
                result_code TEXT,
                detail TEXT
            )
            """,
            "CREATE INDEX provider_activity_order ON provider_activity (order_id, id)",
            "CREATE INDEX provider_activity_outcome ON provider_activity (kind, outcome, id)",
        ] },
        // The consoles' operations records (issue 17): the merchant's request log (bounded per
        // merchant and in time by its background writer), stored operator alerts with the payment
        // they concern, and each node's provider health snapshot.
        Migration(version: 8, name: "request log, operator alerts, node health") { d in [
            """
            CREATE TABLE request_log (
                id \(d.generatedKey),
                merchant_uid \(d.integer) NOT NULL,
                at \(d.integer) NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                http_status \(d.integer) NOT NULL,
                code \(d.integer),
                rid TEXT NOT NULL,
                latency_ms \(d.integer) NOT NULL,
                request_body TEXT NOT NULL,
                answer_body TEXT NOT NULL
            )
            """,
            "CREATE INDEX request_log_merchant ON request_log (merchant_uid, id)",
            "CREATE INDEX request_log_rid ON request_log (rid)",
            "CREATE INDEX request_log_at ON request_log (at)",
            """
            CREATE TABLE operator_alerts (
                id \(d.generatedKey),
                kind TEXT NOT NULL,
                merchant_uid \(d.integer),
                order_id TEXT,
                refund_id TEXT,
                detail TEXT NOT NULL,
                created_at \(d.integer) NOT NULL,
                acknowledged_at \(d.integer)
            )
            """,
            "CREATE INDEX operator_alerts_created ON operator_alerts (created_at)",
            """
            CREATE TABLE node_health (
                node_id TEXT NOT NULL,
                provider TEXT NOT NULL,
                updated_at \(d.integer) NOT NULL,
                calls \(d.integer) NOT NULL,
                failures \(d.integer) NOT NULL,
                breaker_state TEXT NOT NULL,
                open_until \(d.integer),
                PRIMARY KEY (node_id, provider)
            )
            """,
            "CREATE INDEX node_health_updated ON node_health (updated_at)",
        ] },
        // Settlement reconciliation (issue 19): each version of a provider's daily file taken in
        // (path and hash: the same file twice changes nothing, a re-issued one is a new version),
        // what the files said of each payment and refund, the merchants' parts of the settlement
        // batches, and each discrepancy once per kind, provider, transaction and day.
        Migration(version: 9, name: "settlement files, details, batches and discrepancies") { d in [
            """
            CREATE TABLE settlement_files (
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                kind TEXT NOT NULL,
                settlement_date TEXT NOT NULL,
                imported_at \(d.integer) NOT NULL,
                error TEXT,
                PRIMARY KEY (path, sha256)
            )
            """,
            "CREATE INDEX settlement_files_imported ON settlement_files (imported_at)",
            """
            CREATE TABLE settlement_details (
                kind TEXT NOT NULL,
                reference TEXT NOT NULL,
                provider TEXT NOT NULL,
                merchant_uid \(d.integer) NOT NULL,
                provider_transaction_id TEXT NOT NULL,
                batch_id TEXT,
                gross_minor \(d.integer),
                fee_minor \(d.integer),
                net_minor \(d.integer),
                settlement_currency TEXT,
                settlement_date TEXT NOT NULL,
                file TEXT NOT NULL,
                updated_at \(d.integer) NOT NULL,
                PRIMARY KEY (kind, reference)
            )
            """,
            """
            CREATE TABLE settlement_batches (
                provider TEXT NOT NULL,
                batch_id TEXT NOT NULL,
                merchant_uid \(d.integer) NOT NULL,
                settlement_date TEXT NOT NULL,
                currency TEXT NOT NULL,
                line_count \(d.integer) NOT NULL,
                gross_minor \(d.integer) NOT NULL,
                fee_minor \(d.integer) NOT NULL,
                net_minor \(d.integer) NOT NULL,
                updated_at \(d.integer) NOT NULL,
                PRIMARY KEY (provider, batch_id, merchant_uid)
            )
            """,
            "CREATE INDEX settlement_batches_merchant ON settlement_batches (merchant_uid, settlement_date)",
            """
            CREATE TABLE settlement_discrepancies (
                id \(d.generatedKey),
                kind TEXT NOT NULL,
                provider TEXT NOT NULL,
                transaction_kind TEXT NOT NULL,
                reference TEXT NOT NULL,
                provider_transaction_id TEXT,
                merchant_uid \(d.integer),
                expected TEXT,
                reported TEXT,
                settlement_date TEXT NOT NULL,
                file TEXT NOT NULL,
                created_at \(d.integer) NOT NULL,
                UNIQUE (kind, provider, transaction_kind, reference, settlement_date)
            )
            """,
        ] },
    ]
}
