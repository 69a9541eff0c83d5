import Foundation
import Logging
import NIOCore
import ShroffCore
import ShroffSQLite
import Synchronization
import Testing

@testable import ShroffBackground

/// A receiver whose endpoints can be switched between down (no HTTP answer, at once) and up (200).
final class SwitchableTransport: WebhookTransport {
    private let state = Mutex((down: Set<String>(), calls: [String]()))

    init(down hosts: Set<String>) { state.withLock { $0.down = hosts } }

    func setDown(_ hosts: Set<String>) { state.withLock { $0.down = hosts } }
    var calls: [String] { state.withLock { $0.calls } }

    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        state.withLock { state in
            state.calls.append(url)
            if let host = URL(string: url)?.host, state.down.contains(host) {
                return TransportResult(error: "could not reach the receiver (connection refused)")
            }
            return TransportResult(httpStatus: 200)
        }
    }
}

/// The attempt pool, its caps and the circuit breaker, on the injected clock.
@Suite("Webhook attempt pool and circuit breaker")
struct WebhookPoolTests {
    typealias Base = WebhookDispatcherTests

    static func dispatcher(
        _ fixture: Base.Fixture, transport: any WebhookTransport, adjust: (inout WebhookDispatcher.Settings) -> Void = { _ in }
    ) -> WebhookDispatcher {
        var settings = WebhookDispatcher.Settings()
        adjust(&settings)
        return WebhookDispatcher(
            store: fixture.store, transport: transport, targets: WebhookTargetPolicy(allowPrivateTargets: true),
            settings: settings, logger: Base.quietLogger, now: { fixture.clock.now }, random: { 0 }
        )
    }

    static func deliveries(_ store: SQLiteStore, merchant: Merchant) async throws -> [WebhookDelivery] {
        try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(limit: 100))
    }

    /// Passes until one finds nothing to do (at most 20).
    static func drain(_ dispatcher: WebhookDispatcher) async throws {
        for _ in 0..<20 {
            if try await dispatcher.deliverDue() == 0 { return }
        }
    }

    @Test("the running pool refills a freed slot at once while another stays held")
    func continuousPool() async throws {
        try await Base.withFixture(notifyURL: "https://tarpit.example/hooks") { fixture in
            let neighbour = try await Base.paidIntents(fixture.store, merchant: "Neighbour", count: 6) { _ in "https://neighbour.example/hooks" }
            let transport = HoldingTransport()
            // Two slots: the hanging endpoint holds one, the neighbour's six go through the other in turn.
            let dispatcher = Self.dispatcher(fixture, transport: transport) {
                $0.maxAttemptsInFlight = 2
                $0.pollInterval = .seconds(3600)
            }
            let service = Task { try await dispatcher.run() }
            let served = await transport.waitUntil { $0.deliveredCount(containing: "neighbour.example") == 6 }
            let seen = transport.snapshot
            // The last answer is recorded just after the transport returns it.
            let deadline = ContinuousClock.now + .seconds(5)
            while try await !Self.deliveries(fixture.store, merchant: neighbour).allSatisfy({ $0.status == .succeeded }),
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            transport.release()
            service.cancel()
            _ = try? await service.value
            #expect(served, "served \(seen.deliveredCount(containing: "neighbour.example")) of 6")
            #expect(seen.held == 1)
            #expect(seen.maxInFlight <= 2)
            #expect(try await Self.deliveries(fixture.store, merchant: neighbour).allSatisfy { $0.status == .succeeded })
        }
    }

    @Test("after 2 unreachable attempts an endpoint is paused: its events wait, unattempted, and go out after a successful probe")
    func circuitBreaker() async throws {
        try await Base.withFixture(notifyURL: "https://shop.example/hooks") { fixture in
            let slow = try await Base.paidIntents(fixture.store, merchant: "Slow", count: 6) { _ in "https://dead.example/hooks" }
            let transport = SwitchableTransport(down: ["dead.example"])
            let dispatcher = Self.dispatcher(fixture, transport: transport) {
                $0.breaker = .init(failureThreshold: 2, coolOff: .seconds(60))
            }
            // Two at a time to the endpoint (its cap): both fail, which opens the breaker.
            try await dispatcher.deliverDue()
            #expect(transport.calls.filter { $0.contains("dead.example") }.count == 2)
            #expect(try await dispatcher.deliverDue() == 0)
            // Paused: nothing more is sent to it, now or during the cool-off, though retries fall due.
            fixture.clock.advance(to: Base.start.addingTimeInterval(30))
            #expect(try await dispatcher.deliverDue() == 0)
            #expect(transport.calls.filter { $0.contains("dead.example") }.count == 2)
            var deliveries = try await Self.deliveries(fixture.store, merchant: slow)
            #expect(deliveries.map(\.attemptCount) == [1, 1, 0, 0, 0, 0])
            #expect(deliveries.allSatisfy { $0.status == .pending })

            // Another URL on the paused endpoint: postponed to the pause's end, no attempt used up.
            let other = try await Base.paidIntents(fixture.store, merchant: "Other", count: 1) { _ in "https://dead.example/other" }
            #expect(try await dispatcher.deliverDue() == 1)
            let postponed = try #require(try await Self.deliveries(fixture.store, merchant: other).first)
            #expect(postponed.attemptCount == 0 && postponed.status == .pending)
            #expect(postponed.nextAttemptAt == Base.start.addingTimeInterval(60))
            #expect(postponed.lastError == WebhookDispatcher.pausedNote)
            #expect(try await fixture.store.attempts(eventID: postponed.event.id).isEmpty)

            // After the cool-off one probe goes out; it fails, so the endpoint is paused again.
            fixture.clock.advance(to: Base.start.addingTimeInterval(60))
            try await dispatcher.deliverDue()
            #expect(transport.calls.filter { $0.contains("dead.example") }.count == 3)
            fixture.clock.advance(to: Base.start.addingTimeInterval(100))
            #expect(try await dispatcher.deliverDue() == 0)

            // The endpoint is back: the next probe succeeds and the backlog drains, every event once.
            transport.setDown([])
            fixture.clock.advance(to: Base.start.addingTimeInterval(121))
            try await Self.drain(dispatcher)
            // The failed probe's event has its next attempt 5 min after the probe.
            fixture.clock.advance(to: Base.start.addingTimeInterval(1000))
            try await Self.drain(dispatcher)
            deliveries = try await Self.deliveries(fixture.store, merchant: slow)
            #expect(deliveries.allSatisfy { $0.status == .succeeded })
            #expect(try await Self.deliveries(fixture.store, merchant: other).first?.status == .succeeded)
            for delivery in deliveries {
                let attempts = try await fixture.store.attempts(eventID: delivery.event.id)
                #expect(attempts.map(\.number) == Array(1...attempts.count))
                #expect(attempts.last?.httpStatus == 200)
            }
        }
    }

    @Test("an HTTP answer of any status keeps the breaker closed")
    func httpErrorsDoNotOpenTheBreaker() {
        let breaker = EndpointCircuitBreaker(settings: .init(failureThreshold: 2, coolOff: .seconds(60)))
        let endpoint = WebhookEndpoint(url: "https://flaky.example/hooks")
        let now = Base.start
        #expect(breaker.record(.unreachable, for: endpoint, url: "https://flaky.example/hooks", now: now) == nil)
        breaker.record(.answered, for: endpoint, url: "https://flaky.example/hooks", now: now)
        #expect(breaker.record(.unreachable, for: endpoint, url: "https://flaky.example/hooks", now: now) == nil)
        #expect(breaker.admission(for: endpoint, url: "https://flaky.example/hooks", now: now) == .allowed)
        #expect(breaker.pausedURLs(now: now).isEmpty)
        #expect(breaker.record(.unreachable, for: endpoint, url: "https://flaky.example/hooks", now: now) == now.addingTimeInterval(60))
        #expect(breaker.admission(for: endpoint, url: "https://flaky.example/hooks", now: now) == .open(until: now.addingTimeInterval(60)))
        #expect(breaker.pausedURLs(now: now) == ["https://flaky.example/hooks"])
        // After the cool-off one probe is allowed at a time.
        let later = now.addingTimeInterval(60)
        #expect(breaker.admission(for: endpoint, url: "https://flaky.example/hooks", now: later) == .allowed)
        #expect(breaker.admission(for: endpoint, url: "https://flaky.example/hooks", now: later) == .probeInFlight)
    }

    @Test("the breaker remembers a bounded number of endpoints, forgetting the stalest")
    func breakerIsBounded() {
        let breaker = EndpointCircuitBreaker(settings: .init(failureThreshold: 1, coolOff: .seconds(60), capacity: 3))
        for index in 0..<5 {
            let url = "https://dead\(index).example/hooks"
            breaker.record(.unreachable, for: WebhookEndpoint(url: url), url: url, now: Base.start.addingTimeInterval(Double(index)))
        }
        #expect(breaker.rememberedCount == 3)
        // A claim leaves out a bounded number of paused URLs.
        var bounded = EndpointCircuitBreaker.Settings(failureThreshold: 1, coolOff: .seconds(60))
        bounded.pausedURLsPerClaim = 5
        let many = EndpointCircuitBreaker(settings: bounded)
        for index in 0..<4 {
            for path in 0..<3 {
                let url = "https://dead\(index).example/\(path)"
                many.record(.unreachable, for: WebhookEndpoint(url: url), url: url, now: Base.start)
            }
        }
        #expect(many.pausedURLs(now: Base.start).count == 5)
        #expect(breaker.admission(for: WebhookEndpoint(url: "https://dead0.example/x"), url: "https://dead0.example/x", now: Base.start) == .allowed)
        #expect(breaker.admission(for: WebhookEndpoint(url: "https://dead4.example/x"), url: "https://dead4.example/x", now: Base.start) != .allowed)
    }

    @Test("endpoints are keyed by scheme, host and port")
    func endpointKeys() {
        #expect(WebhookEndpoint(url: "https://Shop.Example/a?x=1").key == "https://shop.example:443")
        #expect(WebhookEndpoint(url: "http://shop.example:8080/b").key == "http://shop.example:8080")
        #expect(WebhookEndpoint(url: "http://shop.example/b") != WebhookEndpoint(url: "https://shop.example/b"))
    }
}
