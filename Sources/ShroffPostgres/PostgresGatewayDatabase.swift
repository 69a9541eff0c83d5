import Foundation
import Logging
import PostgresNIO
import ShroffStorage

/// A PostgreSQL database shared by any number of gateway nodes: a connection pool (`PostgresClient`)
/// and the shared migrations, applied under an advisory lock so nodes starting together don't race.
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
    public static var latestVersion: Int { SchemaMigrations.latestVersion }

    // MARK: Connections and transactions

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    /// Runs `body` in one transaction (READ COMMITTED; row locks where a decision depends on a read);
    /// rolls back if it throws. A deadlock or serialization failure is retried a few times.
    func retryingTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in
                    try await Self.transaction(on: connection, logger: logger, body)
                }
            } catch let error as PSQLError where attempt < 4 && error.isRetryableConflict {
                attempt += 1
                logger.debug("database transaction conflict; retrying", metadata: ["sqlstate": "\(error.sqlState ?? "")"])
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// One transaction on `connection`, not retried (migrations use it on a connection of their own).
    /// It runs in its caller's isolation (`nonisolated(nonsending)`), so that the pool's connection
    /// closure in `retryingTransaction` may hand it the caller's non-Sendable `body`.
    nonisolated(nonsending) static func transaction<T: Sendable>(
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
        try await SchemaMigrations.apply(dialect: .postgres, logger: logger, metadata: ["database": "\(url)"]) { body in
            try await transaction(on: connection, logger: logger) { try await body(PostgresSession(connection: $0, logger: logger)) }
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
