import Foundation
import ShroffCore
import ShroffPostgres
import ShroffSandbox

/// Everything the gateway reads from its environment, read once at start (`init(reading:)`) and
/// passed down as typed values.
public struct GatewayConfiguration: Sendable {
    /// Which wallet provider the gateway talks to.
    public enum Provider: Sendable {
        /// The built-in sandbox, mounted on the gateway's own port; keys generated in the data folder.
        /// `wapSignType`: how the gateway signs its WAP requests to it.
        case embeddedSandbox(notificationSchedule: [Duration], wapSignType: WAPSignTypeName = .rsa2)
        /// A provider elsewhere (the real Alipay+ AMS, or `shroff sandbox` on another port).
        case remote(RemoteProvider)
    }

    public struct RemoteProvider: Sendable {
        public var baseURL: String
        public var clientID: String
        /// Base64 PKCS#8 or PEM.
        public var merchantPrivateKey: String
        /// Base64 X.509 or PEM.
        public var providerPublicKey: String
        /// The Alipay Global WAP gateway for `mobile_web`; without it mobile_web is refused.
        public var wap: RemoteWAP?

        public init(baseURL: String, clientID: String, merchantPrivateKey: String, providerPublicKey: String, wap: RemoteWAP? = nil) {
            self.baseURL = baseURL
            self.clientID = clientID
            self.merchantPrivateKey = merchantPrivateKey
            self.providerPublicKey = providerPublicKey
            self.wap = wap
        }
    }

    /// How the gateway reaches a WAP gateway (providers.md §2).
    public struct RemoteWAP: Sendable {
        public var gatewayURL: String
        public var partner: String
        public var signType: WAPSignTypeName
        /// For MD5.
        public var md5Key: String?
        /// For RSA2: the gateway's private key and the provider's public key (base64 or PEM).
        public var merchantPrivateKey: String?
        public var providerPublicKey: String?

        public init(
            gatewayURL: String, partner: String, signType: WAPSignTypeName, md5Key: String? = nil,
            merchantPrivateKey: String? = nil, providerPublicKey: String? = nil
        ) {
            self.gatewayURL = gatewayURL
            self.partner = partner
            self.signType = signType
            self.md5Key = md5Key
            self.merchantPrivateKey = merchantPrivateKey
            self.providerPublicKey = providerPublicKey
        }
    }

    public enum WAPSignTypeName: String, Sendable {
        case md5 = "MD5"
        case rsa2 = "RSA2"
    }

    public var host: String
    public var port: Int
    public var dataDirectory: String
    /// `sqlite:PATH` (default `sqlite:<data>/shroff.sqlite`) or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (`postgresql://` too). May hold a password: show `databaseLocation()` instead, which leaves it out.
    public var databaseURL: String
    /// Where wallets and shoppers' browsers reach this gateway; default `http://127.0.0.1:<port>`.
    public var publicBaseURL: String
    public var provider: Provider
    public var timestamps: TimestampFormat
    public var defaultExpirySeconds: Int64
    public var tokenLifetimeSeconds: Int64
    /// How long one provider call may take before its outcome counts as unknown (answered 50300).
    public var providerTimeoutSeconds: Int64 = 15
    /// Merchant API calls a merchant may make per second, sustained, and in a burst.
    public var rateLimitPerSecond: Double
    public var rateLimitBurst: Double
    /// Create a demo merchant and print its credentials when the database has none (sandbox only).
    public var createDemoMerchant: Bool
    /// The operator console's credential (`SHROFF_OPERATOR_TOKEN`); nil keeps the console closed.
    public var operatorToken: String?
    /// Retry schedule of merchant webhooks.
    public var webhookRetryPolicy: WebhookRetryPolicy = .standard
    /// How long a merchant's endpoint has to answer a webhook.
    public var webhookTimeoutSeconds: Int64 = 15
    /// Whether webhooks may go to loopback/private/link-local addresses. Default: allowed with the
    /// embedded sandbox (development on localhost), refused with a real provider.
    public var allowPrivateWebhookTargets: Bool?
    /// How often the webhook outbox is looked at when idle.
    public var webhookPollInterval: Duration = .milliseconds(250)

    /// When late payments and refunds are looked up at the provider, and expired intents cancelled.
    public var reconciliation: ReconciliationSchedule = .standard
    /// How often the reconciler looks for due work.
    public var reconcilePollInterval: Duration = .seconds(1)
    /// Consecutive provider failures that open the circuit breaker, and how long it stays open.
    public var circuitBreakerFailures = 5
    public var circuitBreakerOpenDuration: Duration = .seconds(30)
    /// Waits before retrying a provider call that got no answer (the calls are idempotent).
    public var providerRetryDelays: [Duration] = [.milliseconds(200), .milliseconds(800)]

    /// Where the providers' daily settlement files are synced to (`SHROFF_SETTLEMENT_FOLDER`), and
    /// where the embedded sandbox writes its own; nil is `<data dir>/settlements`.
    public var settlementFolder: String?
    /// The zone whose midnight ends the providers' settlement day (Alipay's: UTC+8).
    public var settlementUTCOffsetSeconds = 8 * 3600
    /// How often the settlement folder is looked at.
    public var settlementImportInterval: Duration = .seconds(300)

    /// `settlementFolder` with its default applied.
    public var settlementFolderPath: String { settlementFolder ?? dataDirectory + "/settlements" }

    /// `allowPrivateWebhookTargets` with its default applied.
    public var webhooksMayTargetPrivateAddresses: Bool {
        if let allowPrivateWebhookTargets { return allowPrivateWebhookTargets }
        if case .embeddedSandbox = provider { return true }
        return false
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String = "data", databaseURL: String? = nil,
        publicBaseURL: String? = nil, provider: Provider = .embeddedSandbox(notificationSchedule: SandboxConfiguration.providerSchedule),
        timestamps: TimestampFormat = TimestampFormat(utcOffsetSeconds: 8 * 3600), defaultExpirySeconds: Int64 = 1800,
        tokenLifetimeSeconds: Int64 = 1800, rateLimitPerSecond: Double = 50, rateLimitBurst: Double = 100,
        createDemoMerchant: Bool = true
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL ?? "sqlite:\(dataDirectory)/shroff.sqlite"
        self.publicBaseURL = publicBaseURL ?? "http://127.0.0.1:\(port)"
        self.provider = provider
        self.timestamps = timestamps
        self.defaultExpirySeconds = defaultExpirySeconds
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.rateLimitPerSecond = rateLimitPerSecond
        self.rateLimitBurst = rateLimitBurst
        self.createDemoMerchant = createDemoMerchant
    }

    /// The address this process reaches its own listener at.
    var loopbackHost: String {
        ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
    }

    /// The SQLite file named by `databaseURL`.
    public func sqlitePath() throws -> String {
        guard case .sqlite(let path) = try databaseLocation() else {
            throw ConfigurationError(description: "SHROFF_DATABASE_URL: expected sqlite:PATH, not a PostgreSQL URL")
        }
        return path
    }

    /// The database named by `databaseURL`. Errors name what is wrong, never the URL (it may hold a password).
    public func databaseLocation() throws -> DatabaseLocation {
        if PostgresURL.isPostgres(databaseURL) {
            do {
                return .postgres(try PostgresURL(databaseURL))
            } catch let invalid as PostgresURL.Invalid {
                throw ConfigurationError(description: "SHROFF_DATABASE_URL: \(invalid.description)")
            }
        }
        for prefix in ["sqlite://", "sqlite:"] where databaseURL.hasPrefix(prefix) {
            let path = String(databaseURL.dropFirst(prefix.count))
            if !path.isEmpty { return .sqlite(path: path) }
        }
        throw ConfigurationError(description: "SHROFF_DATABASE_URL: expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    }
}
