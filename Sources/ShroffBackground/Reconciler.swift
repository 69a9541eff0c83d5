import Logging
import ServiceLifecycle
import ShroffCore
import ShroffObservability

/// Runs reconciliation rounds: late payment and refund results are asked of the provider, and
/// intents past their expiry are cancelled downstream.
public struct Reconciler: Service {
    let payments: PaymentService
    let pollInterval: Duration
    var metrics: GatewayMetrics?
    let logger: Logger

    public init(payments: PaymentService, pollInterval: Duration, metrics: GatewayMetrics? = nil, logger: Logger) {
        self.payments = payments
        self.pollInterval = pollInterval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var worked = 0
            do {
                worked = try await payments.reconcileDue(logger: logger)
                metrics?.recordReconciliationChecks(worked)
            } catch {
                metrics?.recordBackgroundFailure(component: "reconciler")
                logger.error("reconciliation round failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            if worked == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
            }
        }
    }
}
