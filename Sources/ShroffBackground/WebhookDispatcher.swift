import Foundation
import Logging
import ServiceLifecycle
import ShroffCore
import ShroffObservability

/// Delivers the webhook outbox: claims due events, signs them (Standard Webhooks), posts them,
/// records every attempt and schedules retries. Several dispatchers (nodes) may run against one
/// database: a claimed event is leased to one of them.
///
/// Attempts run in a pool: up to `maxAttemptsInFlight` at once, and whenever one ends more due work
/// is claimed, so a slow receiver holds one slot, not a whole batch. No merchant has more than
/// `maxAttemptsInFlightPerMerchant` of them and no endpoint more than `maxAttemptsInFlightPerEndpoint`
/// (up to `maxAttemptsInFlightPerQuickEndpoint` while it accepts each within a second),
/// and the claim asks only for what fits under those caps, merchants taking turns: one merchant's
/// backlog to a dead endpoint cannot keep the others' webhooks waiting. An endpoint that stops
/// answering altogether is paused by its circuit breaker: its due events are postponed, not
/// attempted (no retry is used up, the intent's later events keep waiting behind them).
public struct WebhookDispatcher: Service {
    public struct Settings: Sendable {
        var policy: WebhookRetryPolicy = .standard
        var timeout: Duration = .seconds(15)
        /// How often the outbox is looked at when nothing has ended meanwhile.
        var pollInterval: Duration = .milliseconds(250)
        /// Attempts in flight at once on this node.
        var maxAttemptsInFlight = 64
        /// Attempts in flight at once for one merchant.
        var maxAttemptsInFlightPerMerchant = 16
        /// Attempts in flight at once to one endpoint (scheme, host and port) at first, and after any
        /// attempt that was not accepted within a second.
        var maxAttemptsInFlightPerEndpoint = 2
        /// Attempts in flight at once to an endpoint that keeps accepting within a second (`AttemptSlots`).
        var maxAttemptsInFlightPerQuickEndpoint = 16
        /// How long a claimed event is this node's; longer than an attempt can take (a host name
        /// lookup's limit plus `timeout`).
        var lease: Duration = .seconds(60)
        var breaker = EndpointCircuitBreaker.Settings()
    }

    let store: any WebhookStore
    let transport: any WebhookTransport
    let targets: WebhookTargetPolicy
    let settings: Settings
    let logger: Logger
    let metrics: GatewayMetrics?
    let now: @Sendable () -> Date
    let random: @Sendable () -> Double
    let slots: AttemptSlots
    let breaker: EndpointCircuitBreaker

    public init(
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
        slots = AttemptSlots(caps: .init(
            total: max(1, settings.maxAttemptsInFlight), perMerchant: max(1, settings.maxAttemptsInFlightPerMerchant),
            perEndpoint: max(1, settings.maxAttemptsInFlightPerEndpoint),
            perQuickEndpoint: settings.maxAttemptsInFlightPerQuickEndpoint
        ))
        breaker = EndpointCircuitBreaker(settings: settings.breaker)
    }

    /// What a paused endpoint's postponed events show as their last error.
    static let pausedNote = "endpoint paused after repeated failures to reach it; the event is sent when the pause ends"

    public func run() async throws {
        // After a restart on an embedded database the leases left are this process's previous run's;
        // on a shared database they may be other nodes' and end when they run out.
        if store.leasesAreExclusiveToThisProcess { try await store.releaseAllLeases() }
        logger.info("webhook dispatcher started")
        // Wakes the claiming loop: when an attempt ends (a slot is free), at every poll interval (new
        // work may be due), and on shutdown.
        let (wakeUps, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) }
                        wake.yield()
                    }
                }
                var wakeUp = wakeUps.makeAsyncIterator()
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    do {
                        try await startDueAttempts(in: &group) { wake.yield() }
                    } catch {
                        logger.error("webhook claim failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                        metrics?.recordBackgroundFailure(component: "webhook_dispatcher")
                    }
                    guard await wakeUp.next() != nil else { break }
                }
                // Leaving the group waits for the attempts in flight: each ends within the host name
                // lookup's limit plus the request timeout, and is recorded. An event not claimed yet
                // is sent after the restart.
            }
        } onGracefulShutdown: {
            wake.yield()
        }
        await transport.shutdown()
        logger.info("webhook dispatcher stopped")
    }

    /// One pass, waiting for its attempts to end: claims as much due work as there is room for and
    /// delivers it. Returns how many claimed deliveries it dealt with (attempted, postponed or
    /// without an endpoint). The service's loop does the same without waiting.
    @discardableResult
    func deliverDue() async throws -> Int {
        let outcome: Result<Int, any Error> = await withDiscardingTaskGroup { group in
            do {
                return .success(try await startDueAttempts(in: &group) {})
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Claims due work while there is room for it and starts its attempts in `group`; `attemptEnded`
    /// is called as each one ends. Returns how many claimed deliveries it dealt with.
    @discardableResult
    func startDueAttempts(in group: inout DiscardingTaskGroup, attemptEnded: @escaping @Sendable () -> Void) async throws -> Int {
        var dealtWith = 0
        while true {
            let claimedAt = now()
            let limits = slots.claimLimits(paused: breaker.pausedURLs(now: claimedAt))
            guard limits.limit > 0 else { break }
            let jobs = try await store.claimDueDeliveries(now: claimedAt, limits: limits, lease: settings.lease)
            var progressed = false
            for job in jobs {
                guard let url = job.url else {
                    await recordNoEndpoint(job)
                    dealtWith += 1
                    progressed = true
                    continue
                }
                let merchantUID = job.delivery.event.merchantUID
                let endpoint = WebhookEndpoint(url: url)
                switch breaker.admission(for: endpoint, url: url, now: claimedAt) {
                case .open(let until):
                    await postpone(job, until: until, note: Self.pausedNote)
                    metrics?.recordWebhookPostponed()
                    dealtWith += 1
                    progressed = true
                    continue
                case .probeInFlight:
                    // Another URL of the endpoint being probed: handed back as it was, claimed again
                    // once the probe has ended.
                    await postpone(job, until: job.delivery.nextAttemptAt ?? claimedAt, note: nil)
                    continue
                case .allowed:
                    break
                }
                guard slots.reserve(merchantUID: merchantUID, endpoint: endpoint, url: url) else {
                    // Another URL on the same endpoint took its last slot in this claim.
                    breaker.record(.notContacted, for: endpoint, url: url, now: claimedAt)
                    await postpone(job, until: job.delivery.nextAttemptAt ?? claimedAt, note: nil)
                    continue
                }
                metrics?.setWebhookAttemptsInFlight(slots.count)
                group.addTask {
                    let acceptedWithin = await deliver(job, to: url, endpoint: endpoint)
                    slots.release(merchantUID: merchantUID, endpoint: endpoint, url: url, acceptedWithin: acceptedWithin)
                    metrics?.setWebhookAttemptsInFlight(slots.count)
                    attemptEnded()
                }
                dealtWith += 1
                progressed = true
            }
            // Fewer than asked for: nothing else is due that fits now.
            if jobs.count < limits.limit || !progressed { break }
        }
        return dealtWith
    }

    private func recordNoEndpoint(_ job: DeliveryJob) async {
        do {
            try await store.recordNoEndpoint(eventID: job.delivery.event.id, at: now())
            logger.info("webhook has no endpoint", metadata: ["webhook_id": "\(job.delivery.event.id)", "order_id": "\(job.delivery.event.orderID)"])
        } catch {
            logger.error("webhook without endpoint not recorded", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    private func postpone(_ job: DeliveryJob, until: Date, note: String?) async {
        do {
            try await store.postponeDelivery(eventID: job.delivery.event.id, until: until, note: note)
        } catch {
            // The lease runs out and the event is claimed again: postponed or sent later, never lost.
            logger.error("webhook not postponed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// Makes one attempt and records it. Returns how long the receiver took when it accepted (2xx).
    @discardableResult
    func deliver(_ job: DeliveryJob, to url: String, endpoint: WebhookEndpoint) async -> Duration? {
        let event = job.delivery.event
        var logger = self.logger
        logger[metadataKey: "webhook_id"] = "\(event.id)"
        logger[metadataKey: "order_id"] = "\(event.orderID)"
        let number = job.delivery.attemptCount + 1
        let started = now()
        let clock = ContinuousClock.now
        let result: TransportResult
        let reach: EndpointCircuitBreaker.Outcome
        switch await targets.verdict(for: url) {
        case .refused(let reason):
            result = TransportResult(error: reason)
            reach = .notContacted
        case .unresolved(let reason):
            result = TransportResult(error: reason)
            reach = .unreachable
        case .allowed(let connectTo):
            do {
                let headers = try StandardWebhookSignature.headers(
                    id: event.id, timestamp: Int64(started.timeIntervalSince1970), body: event.body, secrets: job.secrets
                )
                result = await transport.post(url: url, connectTo: connectTo, headers: headers, body: event.body, timeout: settings.timeout)
                reach = result.httpStatus == nil ? .unreachable : .answered
            } catch {
                result = TransportResult(error: "the merchant's webhook secret is unusable")
                reach = .notContacted
            }
        }
        let elapsed = ContinuousClock.now - clock
        if let pausedUntil = breaker.record(reach, for: endpoint, url: url, now: now()) {
            logger.warning("webhook endpoint paused after repeated failures to reach it", metadata: [
                "endpoint": "\(endpoint)", "paused_until": "\(pausedUntil)",
            ])
        }
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
        return result.error == nil ? elapsed : nil
    }
}

extension WebhookDispatcher.Settings {
    /// The standard limits, with the gateway's retry policy, attempt timeout, poll interval and lease.
    public init(policy: WebhookRetryPolicy, timeout: Duration, pollInterval: Duration, lease: Duration) {
        self.init(policy: policy, timeout: timeout, pollInterval: pollInterval, lease: lease, breaker: EndpointCircuitBreaker.Settings())
    }
}
