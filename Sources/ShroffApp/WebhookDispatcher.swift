import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ShroffCore

/// What a receiver answered to one delivery.
struct TransportResult: Sendable, Equatable {
    var httpStatus: Int?
    var retryAfterSeconds: Int?
    /// nil when the receiver answered 2xx.
    var error: String?
}

/// Sends one signed webhook request. The real one uses AsyncHTTPClient; tests may inject their own.
protocol WebhookTransport: Sendable {
    /// `connectTo`: the address to connect to instead of resolving the URL's host again (the TLS
    /// certificate is still checked against the host); nil to resolve it.
    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult
}

/// Posts webhooks with AsyncHTTPClient. Redirects are never followed: a 3xx is a failed attempt
/// (following one would send the event to an address nobody checked). Each request has a client of
/// its own, because AsyncHTTPClient pins hosts to addresses per client; the cost is a new
/// connection per attempt, which webhooks to many merchants' hosts mostly need anyway.
struct HTTPWebhookTransport: WebhookTransport {
    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Shroff-Webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        if let connectTo {
            // Keyed as AsyncHTTPClient keys it (URL.host without IPv6 brackets). Fails closed: a
            // target whose host cannot be keyed is not sent to unpinned.
            guard let host = URL(string: url)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
                return TransportResult(error: "the target URL has no host to connect to")
            }
            for name in Set([host, host.lowercased()]) { configuration.dnsOverride[name] = connectTo }
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let result = await send(request, with: client, timeout: timeout)
        try? await client.shutdown()
        return result
    }

    private func send(_ request: HTTPClientRequest, with client: HTTPClient, timeout: Duration) async -> TransportResult {
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            // The answer's body is not needed; drain a little of it before the client shuts down.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return TransportResult(httpStatus: status) }
            let retryAfter = [429, 503].contains(status) ? response.headers.first(name: "retry-after").flatMap { Int($0) } : nil
            return TransportResult(httpStatus: status, retryAfterSeconds: retryAfter, error: "receiver answered HTTP \(status)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return TransportResult(error: "no answer within \(Int(timeout.timeInterval)) s")
        } catch {
            return TransportResult(error: "could not reach the receiver (\(Self.describe(error)))")
        }
    }

    /// A short, secret-free description of a transport failure.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? IOError { return "\(error.description)" }
        return String(describing: type(of: error))
    }
}

/// Delivers the webhook outbox: claims due events, signs them (Standard Webhooks), posts them,
/// records every attempt and schedules retries. Several dispatchers (nodes) may run against one
/// database: a claimed event is leased to one of them.
struct WebhookDispatcher: Service {
    struct Settings: Sendable {
        var policy: WebhookRetryPolicy = .standard
        var timeout: Duration = .seconds(15)
        /// How often the outbox is looked at when idle.
        var pollInterval: Duration = .milliseconds(250)
        var batchSize = 16
        var lease: Duration = .seconds(60)
    }

    let store: any WebhookStore
    let transport: any WebhookTransport
    let targets: WebhookTargetPolicy
    let settings: Settings
    let logger: Logger
    let metrics: GatewayMetrics?
    let now: @Sendable () -> Date
    let random: @Sendable () -> Double

    init(
        store: any WebhookStore, transport: any WebhookTransport, targets: WebhookTargetPolicy, settings: Settings,
        logger: Logger, metrics: GatewayMetrics? = nil, now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.store = store
        self.transport = transport
        self.targets = targets
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.now = now
        self.random = random
    }

    func run() async throws {
        // After a restart on an embedded database the leases left are this process's previous run's;
        // on a shared database they may be other nodes' and end when they run out.
        if store.leasesAreExclusiveToThisProcess { try await store.releaseAllLeases() }
        logger.info("webhook dispatcher started")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let delivered: Int
            do {
                delivered = try await deliverDue()
            } catch {
                logger.error("webhook dispatch round failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                metrics?.recordBackgroundFailure(component: "webhook_dispatcher")
                delivered = 0
            }
            if delivered == 0 {
                // Returns early on shutdown; an event left pending is sent after the restart.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) }
            }
        }
        logger.info("webhook dispatcher stopped")
    }

    /// One round: claims what is due now and delivers it, concurrently. Returns how many were tried.
    @discardableResult
    func deliverDue() async throws -> Int {
        let jobs = try await store.claimDueDeliveries(now: now(), limit: settings.batchSize, lease: settings.lease)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { await deliver(job) } }
        }
        return jobs.count
    }

    func deliver(_ job: DeliveryJob) async {
        let event = job.delivery.event
        var logger = self.logger
        logger[metadataKey: "webhook_id"] = "\(event.id)"
        logger[metadataKey: "order_id"] = "\(event.orderID)"
        guard let url = job.url else {
            logger.info("webhook has no endpoint")
            try? await store.recordNoEndpoint(eventID: event.id, at: now())
            return
        }
        let number = job.delivery.attemptCount + 1
        let started = now()
        let clock = ContinuousClock.now
        var result: TransportResult
        switch await targets.verdict(for: url) {
        case .refused(let reason), .unresolved(let reason):
            result = TransportResult(error: reason)
        case .allowed(let connectTo):
            do {
                let headers = try StandardWebhookSignature.headers(
                    id: event.id, timestamp: Int64(started.timeIntervalSince1970), body: event.body, secrets: job.secrets
                )
                result = await transport.post(url: url, connectTo: connectTo, headers: headers, body: event.body, timeout: settings.timeout)
            } catch {
                result = TransportResult(error: "the merchant's webhook secret is unusable")
            }
        }
        let elapsed = ContinuousClock.now - clock
        let attempt = DeliveryAttempt(
            eventID: event.id, number: number, startedAt: started, url: url, httpStatus: result.httpStatus,
            latencyMilliseconds: Int64(elapsed.timeInterval * 1000), error: result.error
        )
        let decision = settings.policy.decision(
            afterAttempt: number, error: result.error, retryAfterSeconds: result.retryAfterSeconds, now: now(), random: random()
        )
        do {
            try await store.recordAttempt(attempt, decision: decision)
        } catch {
            // The lease runs out and the event is tried again: at least once, never lost.
            logger.error("webhook attempt not recorded", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
        switch decision {
        case .succeeded:
            metrics?.recordWebhookAttempt(outcome: "delivered", duration: elapsed)
            logger.info("webhook delivered", metadata: ["attempt": "\(number)", "http_status": "\(result.httpStatus ?? 0)"])
        case .retry(let at, let error):
            metrics?.recordWebhookAttempt(outcome: "retry", duration: elapsed)
            logger.info("webhook attempt failed; will retry", metadata: [
                "attempt": "\(number)", "error": "\(error)", "next_attempt_at": "\(at)",
            ])
        case .failed(_, let error):
            metrics?.recordWebhookAttempt(outcome: "failed", duration: elapsed)
            logger.warning("webhook delivery failed for good", metadata: ["attempts": "\(number)", "error": "\(error)"])
        case .noEndpoint:
            break
        }
    }
}
