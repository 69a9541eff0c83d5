import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ShroffBackground
import ShroffConnectors
import ShroffCore
import ShroffObservability
import ShroffPersistence
import ShroffSandbox

/// Builds the gateway: database, provider connector (and the embedded sandbox when configured),
/// merchant API, provider callbacks and probes. Used by `shroff serve` and by the tests alike.
public func buildApplication(
    configuration: GatewayConfiguration, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let database = try await DatabaseConnection.open(configuration: configuration, logger: logger)
    let store = database.store

    let checkoutLinkKey = try await store.secret(named: "checkout-link-key-v1") {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
    let checkoutLinks = WAPCheckoutLinks(baseURL: configuration.publicBaseURL, key: checkoutLinkKey)
    let connection = try ProviderConnection.make(configuration: configuration, checkoutLinks: checkoutLinks, logger: logger)
    let metrics = GatewayMetrics()
    func resilient(_ provider: any PaymentProvider, name: String) -> ResilientProvider {
        ResilientProvider(
            wrapping: MeasuredProvider(wrapped: provider, name: name, metrics: metrics),
            breaker: CircuitBreaker(
                failureThreshold: configuration.circuitBreakerFailures, openDuration: configuration.circuitBreakerOpenDuration
            ),
            retryDelays: configuration.providerRetryDelays
        )
    }
    let router = ProviderRouter(
        ams: resilient(connection.client, name: "alipayplus_ams"), wap: connection.wap.map { resilient($0, name: "alipayhk_wap") }
    )
    let provider = router
    let payments = PaymentService(
        intents: store, refunds: store, provider: provider, timestamps: configuration.timestamps,
        defaultExpirySeconds: configuration.defaultExpirySeconds, reconciliation: configuration.reconciliation,
        alert: metrics.recordOperatorAlert, tradeLinks: connection.wap
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

    let document = try APIDocument.load()
    let httpRouter = Router(context: AppRequestContext.self)
    httpRouter.add(middleware: EnvelopeMiddleware(methods: document.methodsByPath, metrics: metrics))
    httpRouter.get("metrics") { _, context in
        await metrics.refreshOutboxBacklog(from: store, now: Date(), logger: context.logger)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
        )
    }
    httpRouter.get("healthz") { _, context in try Envelope.ok(["status": "up"], context: context) }
    httpRouter.get("readyz") { _, context in
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
        timestamps: configuration.timestamps, supportsFlow: router.supports
    )
    api.register(on: httpRouter)
    WebhookAPI(merchants: store, webhooks: store, timestamps: configuration.timestamps).register(on: api.authenticatedGroup(httpRouter))
    ProviderCallbacks(
        receiver: AMSNotificationReceiver(
            providerPublicKey: connection.client.configuration.providerPublicKey, clientID: connection.client.configuration.clientID
        ),
        refunds: store, payments: payments,
        signedPath: URL(string: connection.client.configuration.notifyURL)?.path ?? ProviderCallbacks.amsNotifyPath,
        wap: connection.wap.map(WAPNotificationReceiver.init(client:))
    ).register(on: httpRouter)
    if connection.wap != nil { MobileCheckout(links: checkoutLinks, payments: payments).register(on: httpRouter) }
    connection.sandbox?.register(on: httpRouter)
    httpRouter.get("checkout/complete") { _, _ in CheckoutPage.complete }
    document.register(on: httpRouter)

    return Application(
        router: httpRouter,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "shroff"),
        services: [
            ResourceCloser(database: database, sandbox: connection.sandbox, logger: logger),
            Reconciler(
                payments: payments, pollInterval: configuration.reconcilePollInterval, metrics: metrics,
                logger: logger.with(metadata: "component", "reconciler")
            ),
            WebhookDispatcher(
                store: store, transport: HTTPWebhookTransport(),
                targets: WebhookTargetPolicy(allowPrivateTargets: configuration.webhooksMayTargetPrivateAddresses),
                settings: .init(
                    policy: configuration.webhookRetryPolicy, timeout: .seconds(configuration.webhookTimeoutSeconds),
                    pollInterval: configuration.webhookPollInterval,
                    // Outlasts the longest attempt: the host name lookup's 5 s plus the timeout, with room.
                    lease: .seconds(configuration.webhookTimeoutSeconds + 45)
                ),
                logger: logger.with(metadata: "component", "webhooks"), metrics: metrics
            ),
        ],
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The AMS client the gateway uses, and the embedded sandbox it talks to when there is one.
struct ProviderConnection {
    let client: AMSClient
    let wap: WAPClient?
    let sandbox: SandboxProvider?

    static func make(configuration: GatewayConfiguration, checkoutLinks: WAPCheckoutLinks, logger: Logger) throws -> ProviderConnection {
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
                wap: try SandboxWAPGateway(
                    configuration: SandboxWAPConfiguration(
                        publicBaseURL: configuration.publicBaseURL, partners: SandboxKeys.wapPartners(keys),
                        providerPrivateKeyPEM: keys.providerPrivateKeyPEM, notificationSchedule: schedule
                    ),
                    logger: logger.with(metadata: "component", "sandbox-wap")
                ),
                logger: logger.with(metadata: "component", "sandbox")
            )
            let ams = AMSConfiguration(
                baseURL: loopback, clientID: SandboxDefaults.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(keys.gatewayPrivateKeyPEM, role: "sandbox gateway private key"),
                providerPublicKey: try RSAKeyText.publicKey(keys.providerPublicKeyPEM, role: "sandbox provider public key"),
                notifyURL: loopback + notifyPath, requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            let wap = WAPConfiguration(
                gatewayURL: loopback + "/gateway.do", partner: SandboxDefaults.wapPartner,
                signType: configuration.sandboxWAPSignType == .md5
                    ? .md5(key: keys.wapMD5Key)
                    : .rsa2(
                        merchantPrivateKey: try RSAKeyText.privateKey(keys.gatewayPrivateKeyPEM, role: "sandbox gateway private key"),
                        providerPublicKey: try RSAKeyText.publicKey(keys.providerPublicKeyPEM, role: "sandbox provider public key")
                    ),
                notifyURL: loopback + ProviderCallbacks.wapNotifyPath,
                defaultReturnURL: configuration.publicBaseURL + "/checkout/complete", checkoutLinks: checkoutLinks,
                requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger),
                wap: WAPClient(configuration: wap, logger: logger), sandbox: sandbox
            )
        case .remote(let remote):
            let ams = AMSConfiguration(
                baseURL: remote.baseURL, clientID: remote.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(remote.merchantPrivateKey, role: "SHROFF_AMS_MERCHANT_PRIVATE_KEY"),
                providerPublicKey: try RSAKeyText.publicKey(remote.providerPublicKey, role: "SHROFF_AMS_PROVIDER_PUBLIC_KEY"),
                notifyURL: configuration.publicBaseURL + notifyPath,
                requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            var wap: WAPClient?
            if let remoteWAP = remote.wap {
                let signType: WAPSignType
                switch remoteWAP.signType {
                case .md5:
                    guard let key = remoteWAP.md5Key else { throw ConfigurationError(description: "SHROFF_WAP_MD5_KEY is required for MD5") }
                    signType = .md5(key: key)
                case .rsa2:
                    guard let privateKey = remoteWAP.merchantPrivateKey, let publicKey = remoteWAP.providerPublicKey else {
                        throw ConfigurationError(description: "SHROFF_WAP_PRIVATE_KEY and SHROFF_WAP_PROVIDER_PUBLIC_KEY are required for RSA2")
                    }
                    signType = .rsa2(
                        merchantPrivateKey: try RSAKeyText.privateKey(privateKey, role: "SHROFF_WAP_PRIVATE_KEY"),
                        providerPublicKey: try RSAKeyText.publicKey(publicKey, role: "SHROFF_WAP_PROVIDER_PUBLIC_KEY")
                    )
                }
                wap = WAPClient(
                    configuration: WAPConfiguration(
                        gatewayURL: remoteWAP.gatewayURL, partner: remoteWAP.partner, signType: signType,
                        notifyURL: configuration.publicBaseURL + ProviderCallbacks.wapNotifyPath,
                        defaultReturnURL: configuration.publicBaseURL + "/checkout/complete", checkoutLinks: checkoutLinks,
                        requestTimeout: .seconds(configuration.providerTimeoutSeconds)
                    ),
                    logger: logger
                )
            }
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger), wap: wap, sandbox: nil
            )
        }
    }
}

/// Releases the database and the sandbox's pending notifications when the server shuts down.
struct ResourceCloser: Service {
    let database: DatabaseConnection
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

/// Where a shopper's browser lands after a mobile payment when the merchant gave no return_url.
enum CheckoutPage {
    static var complete: Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>Payment submitted</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem">
            <h1>Payment submitted</h1><p>You can return to the shop. The shop is told the result directly.</p></body></html>
            """
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
