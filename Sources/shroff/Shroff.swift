import ArgumentParser
import Configuration
import Foundation
import Logging
import ShroffApp
import ShroffObservability
import ShroffSandbox

@main
struct Shroff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shroff, a payment gateway for Alipay+ and AlipayHK.",
        subcommands: [
            Serve.self, Migrate.self, Merchants.self, Settlements.self, Sandbox.self, Login.self, Intents.self, Refunds.self, Webhooks.self,
            Listen.self, BenchSeed.self, BenchRSA.self,
        ],
        defaultSubcommand: Serve.self
    )
}

/// The process's one reader of settings: the command line's overrides first, then the environment.
/// `GatewayConfiguration(reading:)` and `LogSettings(reading:)` read each variable from it once.
func settingsReader(port: Int? = nil) -> ConfigReader {
    var overrides: [AbsoluteConfigKey: ConfigValue] = [:]
    if let port { overrides[AbsoluteConfigKey(GatewaySetting.port.key)] = ConfigValue(.string(String(port)), isSecret: false) }
    return ConfigReader(providers: [InMemoryProvider(name: "command line", values: overrides), EnvironmentVariablesProvider()])
}

/// Logs to stderr at `settings.level`, as text or one JSON object a line.
func makeLogger(_ label: String, settings: LogSettings) -> Logger {
    switch settings.format {
    case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
    case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    }
    var logger = Logger(label: label)
    logger.logLevel = settings.level
    if let format = settings.unrecognizedFormat {
        logger.warning("SHROFF_LOG_FORMAT: expected text or json; writing text", metadata: ["value": "\(format.prefix(16))"])
    }
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway (default). Settings come from SHROFF_* environment variables."
    )

    @Option(help: "Port to listen on (overrides SHROFF_PORT).")
    var port: Int?

    func run() async throws {
        let reader = settingsReader(port: port)
        let logger = makeLogger("shroff", settings: LogSettings(reading: reader))
        let configuration = try GatewayConfiguration(reading: reader)
        let app = try await buildApplication(configuration: configuration, logger: logger) { _ in
            Console.write("Shroff is listening on \(configuration.publicBaseURL) (database \((try? configuration.databaseLocation())?.description ?? "?"))")
        }
        try await app.runService()
    }
}

struct Merchants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage merchants in the gateway's database.", subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a merchant and print its credentials as one JSON object."
        )

        @Option(help: "The merchant's name.")
        var name: String

        @Option(name: .customLong("h5-domain"), help: "The domain the merchant's mobile pages (return_url) live on.")
        var h5Domain: String?

        @Option(
            name: .customLong("settlement-currency"),
            help: "Where payments settle when a request names no settlement currency (ISO 4217; default HKD)."
        )
        var settlementCurrency: String?

        func run() async throws {
            let reader = settingsReader()
            var logger = makeLogger("shroff", settings: LogSettings(reading: reader))
            logger.logLevel = .warning
            let configuration = try GatewayConfiguration(reading: reader)
            let credentials = try await MerchantAdministration.create(
                name: name, h5Domain: h5Domain, settlementCurrency: settlementCurrency, configuration: configuration, logger: logger
            )
            Console.write(try MerchantAdministration.json(credentials))
        }
    }
}

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the sandbox provider alone, to point a gateway at it as at a remote provider."
    )

    @Option(help: "Port to listen on.")
    var port: Int = 8090

    @Option(help: "Host to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("data-dir"), help: "Folder with the sandbox keys (created when missing).")
    var dataDirectory: String = "data"

    @Option(name: .customLong("public-url"), help: "Where browsers reach this sandbox (default http://HOST:PORT).")
    var publicURL: String?

    func run() async throws {
        let logger = makeLogger("shroff-sandbox", settings: LogSettings(reading: settingsReader()))
        let keys = try SandboxKeys.load(dataDirectory: dataDirectory)
        let publicBaseURL = publicURL ?? "http://\(host):\(port)"
        let app = try buildSandboxApplication(
            host: host, port: port, publicBaseURL: publicBaseURL, providerPrivateKeyPEM: keys.providerPrivateKeyPEM,
            clients: [SandboxDefaults.clientID: keys.gatewayPublicKeyPEM],
            wapPartners: SandboxKeys.wapPartners(keys),
            logger: logger
        ) { _ in
            Console.write("""
                Sandbox provider listening on \(publicBaseURL). Point a gateway at it with:
                  SHROFF_AMS_BASE_URL=\(publicBaseURL) SHROFF_AMS_CLIENT_ID=\(SandboxDefaults.clientID) \\
                  SHROFF_AMS_MERCHANT_PRIVATE_KEY="$(cat \(dataDirectory)/sandbox-keys/gateway_private_key.pem)" \\
                  SHROFF_AMS_PROVIDER_PUBLIC_KEY="$(cat \(dataDirectory)/sandbox-keys/provider_public_key.pem)"
                """)
        }
        try await app.runService()
    }
}
