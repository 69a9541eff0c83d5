import Foundation
import Hummingbird
import Logging
import NIOCore
import ShroffConnectors
import ShroffCore
import ShroffObservability

/// Builds the gateway from its configuration; used by `shroff serve` and by the tests alike. It only
/// wires: the database, the provider connection (with the embedded sandbox when configured), the
/// payment service, the routes and the background services are each built by their own type.
public func buildApplication(
    configuration: GatewayConfiguration, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let database = try await DatabaseConnection.open(configuration: configuration, logger: logger)
    let store = database.store
    let checkoutLinks = try await WAPCheckoutLinks.stored(in: store, baseURL: configuration.publicBaseURL)
    let connection = try ProviderConnection.make(configuration: configuration, checkoutLinks: checkoutLinks, logger: logger)
    let metrics = GatewayMetrics()
    let (providers, providerHealth) = connection.providers(configuration: configuration, metrics: metrics, activity: store)
    let records = OperationsRecorders(store: store, metrics: metrics, logger: logger)
    let raise: @Sendable (RaisedAlert) -> Void = { alert in
        metrics.recordOperatorAlert(alert.kind)
        records.alerts.submit(alert)
    }
    let payments = PaymentService(
        intents: store, refunds: store, providerChecks: store, provider: providers, timestamps: configuration.timestamps,
        defaultExpirySeconds: configuration.defaultExpirySeconds, reconciliation: configuration.reconciliation,
        alert: raise, tradeLinks: connection.wap
    )
    let tokens = try await TokenIssuer.load(from: store, lifetimeSeconds: configuration.tokenLifetimeSeconds, now: { Date() })
    if configuration.createDemoMerchant, connection.sandbox != nil {
        try await MerchantAdministration.createDemoMerchantIfNone(in: store)
    }
    let router = try GatewayRouter(
        configuration: configuration, store: store, payments: payments, tokens: tokens, providers: providers,
        connection: connection, checkoutLinks: checkoutLinks, metrics: metrics, records: records
    ).build()
    let settlements = SettlementAdministration.importer(configuration: configuration, store: store, logger: logger, alert: raise)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "shroff"),
        services: BackgroundServices.make(
            configuration: configuration, database: database, sandbox: connection.sandbox, payments: payments,
            settlements: settlements, metrics: metrics, records: records, providerHealth: providerHealth, logger: logger
        ),
        onServerRunning: onServerRunning,
        logger: logger
    )
}
