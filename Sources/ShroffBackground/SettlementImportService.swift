import Foundation
import Logging
import ServiceLifecycle
import ShroffCore
import ShroffObservability

/// Takes the providers' settlement files in from the settlement folder every `interval`: the day
/// folders of the last `days` days (older ones with `shroff settlements import --date`). Files
/// already taken in change nothing, so several nodes may run it: each import is one transaction
/// keyed by the files' hashes, and runs once.
public struct SettlementImportService: Service {
    let importer: any SettlementImporting
    let interval: Duration
    let days: Int
    var metrics: GatewayMetrics?
    let logger: Logger

    public init(importer: any SettlementImporting, interval: Duration, days: Int = 35, metrics: GatewayMetrics? = nil, logger: Logger) {
        self.importer = importer
        self.interval = interval
        self.days = days
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await importer.importRecent(days: days, now: Date())
            } catch {
                metrics?.recordBackgroundFailure(component: "settlements")
                logger.error("settlement import failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
