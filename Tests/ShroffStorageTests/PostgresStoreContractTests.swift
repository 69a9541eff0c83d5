import Foundation
import PostgresNIO
import ShroffCore
import ShroffPostgres
import Testing

/// The store contract on PostgreSQL, a fresh database per check: the same list as on SQLite.
@Suite("PostgresStore contract", .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresStoreContractTests {
    @Test("the store contract", arguments: StoreContract.checks)
    func contract(_ check: ContractCheck) async throws {
        try await withPostgresHarness { try await check.run($0) }
    }

    @Test("the readiness probe answers; a database that is not there is refused without its password")
    func probeAndUnreachable() async throws {
        try await withPostgresHarness { harness in
            try await harness.postgresStore.ping()
            #expect(try await harness.database.schemaVersion() == PostgresGatewayDatabase.latestVersion)
        }
        let server = try #require(TestPostgres.server)
        var missing = server
        missing.database = "shroff_no_such_database"
        var wrongPassword = server
        wrongPassword.password = "not-the-password-\(UUID().uuidString)"
        for url in [missing, wrongPassword] {
            do {
                let database = try await PostgresGatewayDatabase.open(url: url, logger: quietLogger)
                await database.close()
                Issue.record("opened \(url)")
            } catch {
                let text = "\(error) \(String(reflecting: error))"
                #expect(text.contains(url.database))
                if let password = url.password { #expect(!text.contains(password)) }
            }
        }
    }
}
