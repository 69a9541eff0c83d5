import ArgumentParser
import Foundation
import ShroffApp

/// `shroff migrate`: applies the database's pending migrations and exits (the server also applies
/// them at start; this lets an operator do it first, once, before starting several nodes).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations (SHROFF_DATABASE_URL) and exit."
    )

    func run() async throws {
        let reader = settingsReader()
        let logger = makeLogger("shroff", settings: LogSettings(reading: reader))
        let configuration = try GatewayConfiguration(reading: reader)
        let version = try await DatabaseConnection.with(configuration: configuration, logger: logger) { $0.schemaVersion }
        Console.write("Database \(try configuration.databaseLocation()) is at schema version \(version).")
    }
}
