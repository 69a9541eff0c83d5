import Foundation
import Logging
import PostgresNIO
import ShroffPostgres
import Testing

/// The PostgreSQL server the tests may use: `SHROFF_TEST_POSTGRES_URL` (`.ci/with-postgres` starts a
/// throwaway one and sets it). Without it the PostgreSQL suites are skipped.
enum TestPostgres {
    static let server: PostgresURL? = ProcessInfo.processInfo.environment["SHROFF_TEST_POSTGRES_URL"].flatMap { try? PostgresURL($0) }
    static var isAvailable: Bool { server != nil }
    static let skipReason: Comment = "SHROFF_TEST_POSTGRES_URL is not set (.ci/with-postgres sets it)"

    /// Creates an empty database of its own and returns where it is.
    static func createDatabase() async throws -> PostgresURL {
        let server = try #require(server, "SHROFF_TEST_POSTGRES_URL is not set")
        let name = "shroff_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer(server, "CREATE DATABASE \(name)")
        var url = server
        url.database = name
        return url
    }

    /// Drops a test database (its connections, if any are left, are ended).
    static func dropDatabase(_ url: PostgresURL) async {
        guard let server else { return }
        try? await administer(server, "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
    }

    private static func administer(_ server: PostgresURL, _ sql: String) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try server.connectionConfiguration(), id: 1, logger: quietLogger
        )
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

/// A fresh PostgreSQL database of its own, migrated.
struct PostgresHarness: StoreHarness {
    let url: PostgresURL
    let database: PostgresGatewayDatabase
    var store: any GatewayStore { PostgresStore(database: database) }
    var postgresStore: PostgresStore { PostgresStore(database: database) }

    static func make() async throws -> PostgresHarness {
        let url = try await TestPostgres.createDatabase()
        return PostgresHarness(url: url, database: try await PostgresGatewayDatabase.open(url: url, logger: quietLogger))
    }

    func reopened() async throws -> PostgresHarness {
        await database.close()
        return PostgresHarness(url: url, database: try await PostgresGatewayDatabase.open(url: url, logger: quietLogger))
    }

    /// Another node on the same database: its own connection pool.
    func withSecondNode<T>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        let other = try await PostgresGatewayDatabase.open(url: url, logger: quietLogger)
        do {
            let value = try await body(PostgresStore(database: other))
            await other.close()
            return value
        } catch {
            await other.close()
            throw error
        }
    }

    func tearDown() async throws {
        await database.close()
        await TestPostgres.dropDatabase(url)
    }
}

/// Runs `body` with a fresh PostgreSQL database and drops it afterwards.
func withPostgresHarness(_ body: (PostgresHarness) async throws -> Void) async throws {
    let harness = try await PostgresHarness.make()
    do {
        try await body(harness)
    } catch {
        try await harness.tearDown()
        throw error
    }
    try await harness.tearDown()
}
