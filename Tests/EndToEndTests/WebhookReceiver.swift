import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A merchant's webhook endpoint for tests: a real HTTP server that records what it receives and
/// answers as told (fail the first N, never succeed, ask to retry later, or hang).
actor WebhookReceiver {
    struct Received: Sendable {
        let headers: [String: String]
        let body: Data
        let at: Date
        var id: String { headers["webhook-id"] ?? "" }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    enum Behaviour: Sendable {
        case accept
        case failFirst(Int)
        case alwaysFail
        case retryAfter(seconds: Int, times: Int)
        /// Holds the first request open for the duration (a slow receiver), then accepts.
        case hangFirst(Duration)
    }

    private(set) var received: [Received] = []
    private var behaviour: Behaviour
    private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(_ behaviour: Behaviour = .accept) {
        self.behaviour = behaviour
    }

    func set(_ behaviour: Behaviour) { self.behaviour = behaviour }

    /// Records a request and decides the HTTP status (and Retry-After) to answer.
    func record(_ request: Received) -> (status: Int, retryAfter: Int?, hold: Duration?) {
        received.append(request)
        let count = received.count
        waiters.removeAll { waiter in
            if count >= waiter.count { waiter.continuation.resume(); return true }
            return false
        }
        switch behaviour {
        case .accept: return (200, nil, nil)
        case .failFirst(let n): return count <= n ? (500, nil, nil) : (204, nil, nil)
        case .alwaysFail: return (500, nil, nil)
        case .retryAfter(let seconds, let times): return count <= times ? (503, seconds, nil) : (200, nil, nil)
        case .hangFirst(let duration): return (200, nil, count == 1 ? duration : nil)
        }
    }

    /// Waits until `count` requests have arrived, or `timeout` passes.
    func waitFor(_ count: Int, timeout: Duration = .seconds(20)) async -> [Received] {
        if received.count < count {
            let deadline = Task {
                try await Task.sleep(for: timeout)
                self.releaseAll()
            }
            await withCheckedContinuation { waiters.append((count, $0)) }
            deadline.cancel()
        }
        return received
    }

    private func releaseAll() {
        waiters.forEach { $0.continuation.resume() }
        waiters = []
    }

    /// Runs the endpoint on `port` (POST /hooks) while `body` runs.
    nonisolated func serve<T: Sendable>(port: Int, _ body: () async throws -> T) async throws -> T {
        let router = Router()
        router.post("hooks") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let (status, retryAfter, hold) = await self.record(Received(headers: headers, body: Data(buffer: bytes), at: Date()))
            if let hold { try? await Task.sleep(for: hold) }
            var responseHeaders = HTTPFields()
            if let retryAfter { responseHeaders[.retryAfter] = String(retryAfter) }
            return Response(status: .init(code: status), headers: responseHeaders)
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let started = StartSignal(count: 1)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in await started.arrive() }, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let runner = Task { try await group.run() }
        await started.wait()
        do {
            let value = try await body()
            await group.triggerGracefulShutdown()
            try? await runner.value
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await runner.value
            throw error
        }
    }
}
