import Foundation
import PostgresNIO

/// Where a PostgreSQL database is, from a `postgres://user:password@host:port/database` URL
/// (`postgresql://` too). The password is kept for connecting only: `description` and every error
/// leave it out.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP (`sslmode=disable`).
        case disable
        /// TLS when the server offers it, else plain TCP (`sslmode=prefer`, libpq's default; also `allow`).
        case prefer
        /// TLS, certificate not checked (`sslmode=require`, as libpq).
        case require
        /// TLS, certificate checked against the system's roots (`verify-ca`: not the host name; `verify-full`: both).
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Most connections this process opens (`pool_max_connections`, default 20).
    public var maximumConnections: Int

    /// Why a URL cannot be used. Names the part that is wrong, never the URL (it may hold a password).
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func isPostgres(_ url: String) -> Bool {
        let lowered = url.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    public init(_ url: String) throws {
        guard Self.isPostgres(url) else { throw Invalid(description: "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE") }
        guard let components = URLComponents(string: url) else {
            throw Invalid(description: "not a valid URL (percent-encode special characters in the user name and password)")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "the host is missing") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(description: "the user name is missing") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(description: "the database name is missing") }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw Invalid(description: "the port is out of range") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.username = user
        self.password = components.password
        self.database = database.removingPercentEncoding ?? database
        self.tls = .prefer
        self.maximumConnections = 20
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "allow": self.tls = .prefer
                case let value:
                    guard let mode = TLSMode(rawValue: value) else {
                        throw Invalid(description: "sslmode: expected disable, allow, prefer, require, verify-ca or verify-full")
                    }
                    self.tls = mode
                }
            case "pool_max_connections":
                guard let value = item.value.flatMap(Int.init), (1...1000).contains(value) else {
                    throw Invalid(description: "pool_max_connections: expected an integer in 1...1000")
                }
                self.maximumConnections = value
            default:
                throw Invalid(description: "unknown parameter \(item.name) (known: sslmode, pool_max_connections)")
            }
        }
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        var text = "postgres://\(username)\(password == nil ? "" : ":***")@"
        text += host.contains(":") ? "[\(host)]" : host
        return text + ":\(port)/\(database)"
    }

    /// The same server and credentials with another database (tests create one database per test).
    public func url(database: String) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.path = "/" + database
        var items: [URLQueryItem] = []
        if tls != .prefer { items.append(URLQueryItem(name: "sslmode", value: tls.rawValue)) }
        if maximumConnections != 20 { items.append(URLQueryItem(name: "pool_max_connections", value: String(maximumConnections))) }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? ""
    }

    /// The pool's configuration.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// A single connection's configuration (administration, tests).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var tls = PostgresConnection.Configuration.TLS.disable
        if let (configuration, required) = sslConfiguration {
            let context = try NIOSSLContext(configuration: configuration)
            tls = required ? .require(context) : .prefer(context)
        }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    private var tlsConfiguration: PostgresClient.Configuration.TLS {
        guard let (configuration, required) = sslConfiguration else { return .disable }
        return required ? .require(configuration) : .prefer(configuration)
    }

    /// The TLS settings of `sslmode`, and whether TLS is required; nil for plain TCP.
    private var sslConfiguration: (TLSConfiguration, required: Bool)? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch self.tls {
        case .disable:
            return nil
        case .prefer:
            tls.certificateVerification = .none
            return (tls, false)
        case .require:
            tls.certificateVerification = .none
            return (tls, true)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return (tls, true)
        case .verifyFull:
            return (tls, true)
        }
    }
}
