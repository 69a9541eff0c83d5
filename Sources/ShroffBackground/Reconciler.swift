import Logging
import ServiceLifecycle
import ShroffCore

/// Runs reconciliation rounds: late payment and refund results are asked of the provider, and
/// intents past their expiry are cancelled downstream.
struct Reconciler: Service {
    let payments: PaymentService
    let pollInterval: Duration
    var metrics: GatewayMetrics?
    let logger: Logger

    func run() async throws {
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
