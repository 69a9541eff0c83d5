import Logging
import ServiceLifecycle
import ShroffBackground
import ShroffCore
import ShroffObservability
import ShroffSandbox

/// What runs beside the HTTP server: releasing the database and the sandbox at shutdown,
/// reconciliation, webhook delivery, the request log's and operator alerts' writers, this node's
/// provider health reports and the settlement files' import.
enum BackgroundServices {
    static func make(
        configuration: GatewayConfiguration, database: DatabaseConnection, sandbox: SandboxProvider?, payments: PaymentService,
        settlements: any SettlementImporting, metrics: GatewayMetrics, records: OperationsRecorders,
        providerHealth: @escaping @Sendable () async -> [ProviderHealth], logger: Logger
    ) -> [any Service] {
        [
            ResourceCloser(database: database, sandbox: sandbox, logger: logger),
            Reconciler(
                payments: payments, pollInterval: configuration.reconcilePollInterval, metrics: metrics,
                logger: logger.with(metadata: "component", "reconciler")
            ),
            WebhookDispatcher(
                store: database.store, transport: HTTPWebhookTransport(),
                targets: WebhookTargetPolicy(allowPrivateTargets: configuration.webhooksMayTargetPrivateAddresses),
                settings: .init(
                    policy: configuration.webhookRetryPolicy, timeout: .seconds(configuration.webhookTimeoutSeconds),
                    pollInterval: configuration.webhookPollInterval,
                    // Outlasts the longest attempt: the host name lookup's 5 s plus the timeout, with room.
                    lease: .seconds(configuration.webhookTimeoutSeconds + 45)
                ),
                logger: logger.with(metadata: "component", "webhooks"), metrics: metrics
            ),
            records.requests,
            records.alerts,
            NodeHealthReporter(
                nodeID: records.nodeID, store: database.store, logger: logger.with(metadata: "component", "node-health"), snapshot: providerHealth
            ),
            SettlementImportService(
                importer: settlements, interval: configuration.settlementImportInterval, metrics: metrics,
                logger: logger.with(metadata: "component", "settlements")
            ),
        ]
    }
}
