import Foundation
import Hummingbird
import ShroffConnectors
import ShroffCore
import ShroffObservability

/// Every route the gateway answers, behind the envelope middleware: the operator's endpoints, the
/// merchant API and its webhook endpoints, the providers' callbacks, the mobile checkout links, the
/// embedded sandbox when there is one, and the API document.
struct GatewayRouter {
    let configuration: GatewayConfiguration
    let store: any DatabaseConnection.Stores
    let payments: PaymentService
    let tokens: TokenIssuer
    let providers: ProviderRouter
    let connection: ProviderConnection
    let checkoutLinks: WAPCheckoutLinks
    let metrics: GatewayMetrics
    let records: OperationsRecorders

    func build() throws -> Router<AppRequestContext> {
        let document = try APIDocument.load()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: EnvelopeMiddleware(methods: document.methodsByPath, metrics: metrics, requestLog: records.requests))
        OperationalRoutes(store: store, metrics: metrics).register(on: router)
        let api = MerchantAPI(
            merchants: store, payments: payments, settlements: store, tokens: tokens,
            rateLimiter: RateLimiter(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst),
            timestamps: configuration.timestamps, supportsFlow: providers.supports
        )
        api.register(on: router)
        ConsoleRoutes(
            configuration: configuration, store: store, payments: payments, signIn: api.signIn, metrics: metrics, nodeID: records.nodeID,
            sandboxBaseURL: connection.sandbox == nil ? nil : "http://\(configuration.loopbackHost):\(configuration.port)"
        ).register(on: router)
        WebhookAPI(merchants: store, webhooks: store, timestamps: configuration.timestamps).register(on: api.authenticatedGroup(router))
        SettlementAPI(settlements: store).register(on: api.authenticatedGroup(router))
        ProviderCallbacks(
            receiver: AMSNotificationReceiver(
                providerPublicKey: connection.client.configuration.providerPublicKey, clientID: connection.client.configuration.clientID
            ),
            refunds: store, payments: payments, activity: store,
            signedPath: URL(string: connection.client.configuration.notifyURL)?.path ?? ProviderCallbacks.amsNotifyPath,
            wap: connection.wap.map(WAPNotificationReceiver.init(client:))
        ).register(on: router)
        if connection.wap != nil { MobileCheckout(links: checkoutLinks, payments: payments).register(on: router) }
        connection.sandbox?.register(on: router)
        router.get("checkout/complete") { _, _ in CheckoutPage.complete }
        document.register(on: router)
        return router
    }
}
