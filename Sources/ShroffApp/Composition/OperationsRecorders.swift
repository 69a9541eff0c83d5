import Foundation
import Logging
import ShroffBackground
import ShroffCore
import ShroffObservability

/// The bounded background writers of the request log and of operator alerts, and this node's id
/// (host name, process id and start time) under which it reports its provider health.
struct OperationsRecorders: Sendable {
    /// The request log keeps at most this many requests per merchant, and none older than `requestRetention`.
    static let requestsPerMerchant = 10_000
    static let requestRetention: TimeInterval = 7 * 86400
    /// Operator alerts: at most this many, none older than `alertRetention`.
    static let alertsKept = 100_000
    static let alertRetention: TimeInterval = 90 * 86400

    let requests: RecordWriter<CapturedRequest>
    let alerts: RecordWriter<RaisedAlert>
    let nodeID: String

    init(store: any DatabaseConnection.Stores, metrics: GatewayMetrics, logger: Logger) {
        requests = RecordWriter(
            settings: .init(name: "request_log"), metrics: metrics, logger: logger.with(metadata: "component", "request-log"),
            write: { captured in try await store.recordRequests(captured.map(\.entry)) },
            prune: {
                try await store.pruneRequests(
                    before: Date().addingTimeInterval(-Self.requestRetention), keepPerMerchant: Self.requestsPerMerchant
                )
            }
        )
        alerts = RecordWriter(
            settings: .init(name: "operator_alerts"), metrics: metrics, logger: logger.with(metadata: "component", "operator-alerts"),
            write: { try await store.recordAlerts($0) },
            prune: { try await store.pruneAlerts(before: Date().addingTimeInterval(-Self.alertRetention), keep: Self.alertsKept) }
        )
        let started = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        nodeID = "\(ProcessInfo.processInfo.hostName.prefix(64))-\(ProcessInfo.processInfo.processIdentifier)-\(started)"
    }
}
