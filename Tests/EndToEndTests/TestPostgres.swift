import Foundation
import Logging
import PostgresNIO
import ShroffPostgres

/// With `SHROFF_TEST_POSTGRES_URL` set (`.ci/with-postgres`), the end-to-end servers run on
/// PostgreSQL: each data folder gets a database of its own (a restart on the same folder finds the
/// same data, as with SQLite). Without it they run on SQLite in their data folder.
enum TestPostgres {
    static let server: PostgresURL? = ProcessInfo.processInfo.environment["SHROFF_TEST_POSTGRES_URL"].flatMap { try? PostgresURL($0) }
    static var isAvailable: Bool { server != nil }

    private static let registry = Registry()

    /// The database URL for a test server on `folder`, created on first use; nil without PostgreSQL.
    static func databaseURL(forDataDirectory folder: String) async throws -> String? {
        guard let server else { return nil }
        return try await registry.url(for: folder, server: server)
    }

    /// A database of its own, not tied to a folder (several gateway processes sharing it).
    static func createDatabase() async throws -> PostgresURL {
        guard let server else { throw NotConfigured() }
        let name = "shroff_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer(server, "CREATE DATABASE \(name)")
        var url = server
        url.database = name
        return url
    }

    /// Drops the database made for `folder`, once its server has stopped.
    static func dropDatabase(forDataDirectory folder: String) async {
        guard let server, let url = await registry.remove(folder) else { return }
        try? await administer(server, "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
    }

    static func dropDatabase(_ url: PostgresURL) async {
        guard let server else { return }
        try? await administer(server, "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
    }

    struct NotConfigured: Error {}

    private actor Registry {
        var databases: [String: PostgresURL] = [:]

        func url(for folder: String, server: PostgresURL) async throws -> String {
            if let known = databases[folder] { return known.url(database: known.database) }
            let url = try await TestPostgres.createDatabase()
            databases[folder] = url
            return url.url(database: url.database)
        }

        func remove(_ folder: String) -> PostgresURL? { databases.removeValue(forKey: folder) }
    }

    private static func administer(_ server: PostgresURL, _ sql: String) async throws {
        var logger = Logger(label: "e2e-postgres")
        logger.logLevel = .critical
        let connection = try await PostgresConnection.connect(configuration: try server.connectionConfiguration(), id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
