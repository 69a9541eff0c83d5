import Foundation
import Hummingbird
import NIOCore
import ShroffCore
import ShroffObservability

/// The operator's endpoints: `GET /metrics` (Prometheus text), `GET /healthz` (the process is up)
/// and `GET /readyz` (the database answers).
struct OperationalRoutes: Sendable {
    let store: any WebhookStore & DatabaseProbe
    let metrics: GatewayMetrics

    func register(on router: Router<AppRequestContext>) {
        router.get("metrics") { _, context in
            await metrics.refreshOutboxBacklog(from: store, now: Date(), logger: context.logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
            )
        }
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
    }
}
