import Foundation
import Logging
import ShroffCore
import ShroffPostgres
import ShroffSQLite

/// Where the gateway keeps its data, as named by `SHROFF_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// An embedded SQLite file (`sqlite:PATH`): one gateway process.
    case sqlite(path: String)
    /// A PostgreSQL database (`postgres://…`): any number of gateway nodes.
    case postgres(PostgresURL)

    /// For logs and messages: never the password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url.description
        }
    }
}

/// The gateway's database, whichever engine the configuration names: every store as one value,
/// and how to close it. Opening applies pending migrations.
public struct DatabaseConnection: Sendable {
    public typealias Stores = MerchantStore & PaymentIntentStore & SecretStore & RefundStore & ReconciliationStore & WebhookStore
        & DatabaseProbe & ConsoleStore & ProviderActivityLog & RequestLogStore & OperatorAlertStore & NodeHealthStore & SettlementStore

    public let store: any Stores
    public let location: DatabaseLocation
    /// The schema version after migrating.
    public let schemaVersion: Int
    private let closer: @Sendable () async throws -> Void

    public static func open(configuration: GatewayConfiguration, logger: Logger) async throws -> DatabaseConnection {
        let location = try configuration.databaseLocation()
        switch location {
        case .sqlite(let path):
            let database = try await SQLiteDatabase.open(path: path, logger: logger)
            return DatabaseConnection(
                store: SQLiteStore(database: database), location: location, schemaVersion: SQLiteDatabase.latestVersion,
                closer: { try await database.close() }
            )
        case .postgres(let url):
            let database = try await PostgresGatewayDatabase.open(url: url, logger: logger)
            return DatabaseConnection(
                store: PostgresStore(database: database), location: location, schemaVersion: try await database.schemaVersion(),
                closer: { await database.close() }
            )
        }
    }

    public func close() async throws {
        try await closer()
    }

    /// Runs `body` with the configured database open, and closes it afterwards.
    public static func with<T: Sendable>(
        configuration: GatewayConfiguration, logger: Logger, _ body: (DatabaseConnection) async throws -> T
    ) async throws -> T {
        let connection = try await open(configuration: configuration, logger: logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
