import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ShroffConnectors
import ShroffCore
import ShroffPersistence
import ShroffSandbox

/// Builds the gateway: database, provider connector (and the embedded sandbox when configured),
/// merchant API, provider callbacks and probes. Used by `shroff serve` and by the tests alike.
public func buildApplication(
    configuration: GatewayConfiguration, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let database = try await SQLiteDatabase.open(path: try configuration.sqlitePath(), logger: logger)
    let store = SQLiteStore(database: database)

    let connection = try ProviderConnection.make(configuration: configuration, logger: logger)
    let provider = ResilientProvider(
        wrapping: connection.client,
        breaker: CircuitBreaker(
            failureThreshold: configuration.circuitBreakerFailures, openDuration: configuration.circuitBreakerOpenDuration
        ),
        retryDelays: configuration.providerRetryDelays
    )
    let payments = PaymentService(
        intents: store, refunds: store, provider: provider, timestamps: configuration.timestamps,
        defaultExpirySeconds: configuration.defaultExpirySeconds, reconciliation: configuration.reconciliation
    )
    let tokens = try await TokenIssuer.load(
        from: store, lifetimeSeconds: configuration.tokenLifetimeSeconds, now: { Date() }
    )
    if configuration.createDemoMerchant, connection.sandbox != nil, try await store.merchantCount() == 0 {
        let credentials = try await MerchantAdministration.create(name: "Demo shop", h5Domain: "localhost", in: store)
        // Shown once on the console, never logged: the api key is stored only as a hash.
        Console.write("""
            Created a demo merchant for the sandbox (shown only this once):
            \(try MerchantAdministration.json(credentials))
            """)
    }

    let router = Router(context: AppRequestContext.self)
    router.add(middleware: EnvelopeMiddleware())
    router.get("healthz") { _, context in try Envelope.ok(["status": "up"], context: context) }
    router.get("readyz") { _, context in
        do {
            try await store.ping()
        } catch {
            context.logger.error("database unreachable", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw GatewayError(.providerUnavailable, "database: not reachable")
        }
        return try Envelope.ok(["status": "ready"], context: context)
    }
    let api = MerchantAPI(
        merchants: store, payments: payments, tokens: tokens,
        rateLimiter: RateLimiter(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst),
        timestamps: configuration.timestamps
    )
    api.register(on: router)
    WebhookAPI(merchants: store, webhooks: store, timestamps: configuration.timestamps).register(on: api.authenticatedGroup(router))
    ProviderCallbacks(
        receiver: AMSNotificationReceiver(providerPublicKey: connection.client.configuration.providerPublicKey),
        intents: store, refunds: store, payments: payments,
        signedPath: URL(string: connection.client.configuration.notifyURL)?.path ?? ProviderCallbacks.amsNotifyPath
    ).register(on: router)
    connection.sandbox?.register(on: router)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "shroff"),
        services: [
            ResourceCloser(database: database, sandbox: connection.sandbox, logger: logger),
            Reconciler(
                payments: payments, pollInterval: configuration.reconcilePollInterval,
                logger: logger.with(metadata: "component", "reconciler")
            ),
            WebhookDispatcher(
                store: store, transport: HTTPWebhookTransport(httpClient: .shared),
                targets: WebhookTargetPolicy(allowPrivateTargets: configuration.webhooksMayTargetPrivateAddresses),
                settings: .init(
                    policy: configuration.webhookRetryPolicy, timeout: .seconds(configuration.webhookTimeoutSeconds),
                    pollInterval: configuration.webhookPollInterval
                ),
                logger: logger.with(metadata: "component", "webhooks")
            ),
        ],
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The AMS client the gateway uses, and the embedded sandbox it talks to when there is one.
struct ProviderConnection {
    let client: AMSClient
    let sandbox: SandboxProvider?

    static func make(configuration: GatewayConfiguration, logger: Logger) throws -> ProviderConnection {
        let notifyPath = ProviderCallbacks.amsNotifyPath
        switch configuration.provider {
        case .embeddedSandbox(let schedule):
            let keys = try SandboxKeys.load(dataDirectory: configuration.dataDirectory)
            // The gateway reaches its own embedded provider over loopback, as it would a remote one.
            let loopback = "http://\(configuration.loopbackHost):\(configuration.port)"
            let sandbox = try SandboxProvider(
                configuration: SandboxConfiguration(
                    publicBaseURL: configuration.publicBaseURL, providerPrivateKeyPEM: keys.providerPrivateKeyPEM,
                    clients: [SandboxDefaults.clientID: keys.gatewayPublicKeyPEM], notificationSchedule: schedule
                ),
                logger: logger.with(metadata: "component", "sandbox")
            )
            let ams = AMSConfiguration(
                baseURL: loopback, clientID: SandboxDefaults.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(keys.gatewayPrivateKeyPEM, role: "sandbox gateway private key"),
                providerPublicKey: try RSAKeyText.publicKey(keys.providerPublicKeyPEM, role: "sandbox provider public key"),
                notifyURL: loopback + notifyPath, requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger), sandbox: sandbox
            )
        case .remote(let remote):
            let ams = AMSConfiguration(
                baseURL: remote.baseURL, clientID: remote.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(remote.merchantPrivateKey, role: "SHROFF_AMS_MERCHANT_PRIVATE_KEY"),
                providerPublicKey: try RSAKeyText.publicKey(remote.providerPublicKey, role: "SHROFF_AMS_PROVIDER_PUBLIC_KEY"),
                notifyURL: configuration.publicBaseURL + notifyPath,
                requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger), sandbox: nil
            )
        }
    }
}

/// Releases the database and the sandbox's pending notifications when the server shuts down.
struct ResourceCloser: Service {
    let database: SQLiteDatabase
    let sandbox: SandboxProvider?
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await sandbox?.shutdown()
        try await database.close()
        logger.info("resources released")
    }
}

extension Logger {
    func with(metadata key: String, _ value: String) -> Logger {
        var copy = self
        copy[metadataKey: key] = .string(value)
        return copy
    }
}

/// Unbuffered standard output, so what the operator must see appears at once even when piped.
public enum Console {
    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
