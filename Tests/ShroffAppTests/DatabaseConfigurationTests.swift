import Foundation
import ShroffPostgres
import Testing

@testable import ShroffApp

/// SHROFF_DATABASE_URL picks the engine; a PostgreSQL password is never shown.
@Suite("Database selection by URL")
struct DatabaseConfigurationTests {
    static let password = "pa:ss/w@rd-\(UUID().uuidString)"
    static var encodedPassword: String { password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    @Test("sqlite: and postgres:// URLs select their engine")
    func engines() throws {
        let sqlite = try readConfiguration(["SHROFF_DATA_DIR": "/tmp/d"])
        #expect(try sqlite.databaseLocation() == .sqlite(path: "/tmp/d/shroff.sqlite"))
        for scheme in ["postgres", "postgresql", "POSTGRES"] {
            let configuration = try readConfiguration([
                "SHROFF_DATABASE_URL": "\(scheme)://shroff:\(Self.encodedPassword)@db.internal:6543/payments?sslmode=require&pool_max_connections=7",
            ])
            guard case .postgres(let url) = try configuration.databaseLocation() else {
                Issue.record("\(scheme) did not select PostgreSQL"); continue
            }
            #expect(url.host == "db.internal" && url.port == 6543 && url.username == "shroff" && url.database == "payments")
            #expect(url.password == Self.password)
            #expect(url.tls == .require && url.maximumConnections == 7)
            // Shown without the password.
            #expect(url.description == "postgres://shroff:***@db.internal:6543/payments")
            #expect(try configuration.databaseLocation().description == url.description)
            #expect(throws: ConfigurationError.self) { try configuration.sqlitePath() }
        }
        let defaults = try PostgresURL("postgres://me@localhost/shop")
        #expect(defaults.port == 5432 && defaults.password == nil && defaults.tls == .prefer && defaults.maximumConnections == 20)
        #expect(defaults.description == "postgres://me@localhost:5432/shop")
        // The URL for another database keeps the credentials (tests make one database each).
        let other = try PostgresURL(try PostgresURL("postgres://u:\(Self.encodedPassword)@h:1/a?sslmode=disable").url(database: "b"))
        #expect(other.database == "b" && other.password == Self.password && other.tls == .disable)
    }

    @Test("a broken PostgreSQL URL is refused naming the variable and the fault, never the password", arguments: [
        "postgres://user:SECRET@/db", "postgres://:SECRET@host/db", "postgres://user:SECRET@host", "postgres://user:SECRET@host/db?sslmode=maybe",
        "postgres://user:SECRET@host:99999/db", "postgres://user:SECRET@host/db?color=blue", "postgres://user:SECRET@host/db/extra",
    ])
    func invalid(url: String) {
        do {
            _ = try readConfiguration(["SHROFF_DATABASE_URL": url])
            Issue.record("accepted \(url)")
        } catch let error as ConfigurationError {
            #expect(error.description.hasPrefix("SHROFF_DATABASE_URL: "))
            #expect(!error.description.contains("SECRET"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
