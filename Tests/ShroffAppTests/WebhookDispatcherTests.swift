import Foundation
import Logging
import NIOCore
import ShroffCore
import ShroffSQLite
import Synchronization
import Testing

@testable import ShroffBackground

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let state: Mutex<Date>
    init(_ start: Date) { state = Mutex(start) }
    var now: Date { state.withLock { $0 } }
    func advance(to date: Date) { state.withLock { $0 = date } }
}


/// A receiver that fails a given number of times, then answers 200; records when it was called.
final class ScriptedTransport: WebhookTransport {
    private let state: Mutex<(failures: Int, calls: [(url: String, connectTo: String?, headers: [(String, String)])])>
    private let answer: TransportResult

    init(failures: Int, failure: TransportResult = TransportResult(httpStatus: 500, error: "receiver answered HTTP 500")) {
        state = Mutex((failures, []))
        answer = failure
    }

    var calls: Int { state.withLock { $0.calls.count } }
    var lastHeaders: [(String, String)] { state.withLock { $0.calls.last?.headers ?? [] } }
    var lastConnectTo: String? { state.withLock { $0.calls.last?.connectTo } }

    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        state.withLock { state in
            state.calls.append((url, connectTo, headers))
            if state.failures > 0 {
                state.failures -= 1
                return answer
            }
            return TransportResult(httpStatus: 200)
        }
    }
}

/// Receivers by URL: a URL containing "tarpit" hangs (an endpoint that accepts and never answers)
/// until `release()`, then fails as a timeout; every other URL answers 200 at once. Records what
/// was sent and the most attempts it saw at once, in all and per host.
final class HoldingTransport: WebhookTransport {
    struct Snapshot {
        var released = false
        var inFlight = 0
        var maxInFlight = 0
        var held = 0
        var maxHeld = 0
        var heldPerHost: [String: Int] = [:]
        var maxHeldPerHost: [String: Int] = [:]
        var delivered: [String] = []

        func deliveredCount(containing part: String) -> Int { delivered.filter { $0.contains(part) }.count }
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func release() { state.withLock { $0.released = true } }

    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        let host = URL(string: url)?.host ?? url
        let hangs = url.contains("tarpit")
        state.withLock { state in
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            if hangs {
                state.held += 1
                state.maxHeld = max(state.maxHeld, state.held)
                state.heldPerHost[host, default: 0] += 1
                state.maxHeldPerHost[host] = max(state.maxHeldPerHost[host] ?? 0, state.heldPerHost[host] ?? 0)
            }
        }
        if hangs {
            while !state.withLock({ $0.released }) && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(2)) }
        }
        return state.withLock { state in
            state.inFlight -= 1
            if hangs {
                state.held -= 1
                state.heldPerHost[host, default: 1] -= 1
                return TransportResult(error: "no answer within 15 s")
            }
            state.delivered.append(url)
            return TransportResult(httpStatus: 200)
        }
    }

    /// Waits (in real time, for the attempts running concurrently) until `condition` holds or 5 s pass.
    func waitUntil(_ condition: (Snapshot) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if condition(snapshot) { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition(snapshot)
    }
}

/// The dispatcher against the real SQLite outbox, with the clock and the jitter injected: the whole
/// 24-hour schedule runs without sleeping.
@Suite("Webhook dispatcher with an injected clock")
struct WebhookDispatcherTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let quietLogger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    struct Fixture {
        let database: SQLiteDatabase
        let store: SQLiteStore
        let clock: ManualClock
        let orderID: String
        let eventID: String
    }

    /// A merchant, a paid intent and its payment_success event in the outbox.
    static func withFixture(notifyURL: String? = "https://merchant.example.com/hooks", _ body: (Fixture) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dispatch-\(UUID().uuidString).sqlite").path
        let database = try await SQLiteDatabase.open(path: path, logger: quietLogger)
        do {
            try await body(try await fixture(database: database, notifyURL: notifyURL))
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }

    static func fixture(database: SQLiteDatabase, notifyURL: String?) async throws -> Fixture {
        let store = SQLiteStore(database: database)
        let (draft, _) = MerchantFactory.make(name: "Shop", h5Domain: nil, now: start)
        let merchant = try await store.createMerchant(draft)
        let intent = PaymentIntent(
            orderID: "C1", merchantUID: merchant.uid, merchantOrderID: "P1",
            amount: Money(minorUnits: 100, currency: Currency(code: "USD")!), description: "d", notifyURL: notifyURL,
            returnURL: nil, method: PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", terminalType: "WEB"),
            createTime: start, expiresAt: start.addingTimeInterval(1800), requestFingerprint: "f"
        )
        _ = try await store.insert(intent)
        let timestamps = TimestampFormat(utcOffsetSeconds: 8 * 3600)
        let outcome = try await store.transition(
            orderID: "C1",
            decide: { PaymentStateMachine.transition($0, on: .providerSucceeded(payTime: start, wallet: nil, settleCurrency: nil)) },
            makeEvent: { WebhookPayload.event($1, for: $0, at: start, timestamps: timestamps) }
        )
        guard case .applied(_, let event?) = outcome else { throw FixtureFailed() }
        return Fixture(database: database, store: store, clock: ManualClock(start), orderID: "C1", eventID: event.id)
    }

    struct FixtureFailed: Error {}

    static func dispatcher(
        _ fixture: Fixture, transport: any WebhookTransport, policy: WebhookRetryPolicy = .standard,
        targets: WebhookTargetPolicy = WebhookTargetPolicy(allowPrivateTargets: true)
    ) -> WebhookDispatcher {
        WebhookDispatcher(
            store: fixture.store, transport: transport, targets: targets,
            settings: .init(policy: policy), logger: Self.quietLogger, now: { fixture.clock.now }, random: { 0 }
        )
    }

    @Test("a receiver that never succeeds is tried 8 times over more than 24 hours, then the delivery fails")
    func fullScheduleThenFailure() async throws {
        try await Self.withFixture { fixture in
            let transport = ScriptedTransport(failures: .max)
            let dispatcher = Self.dispatcher(fixture, transport: transport)
            var attemptTimes: [Date] = []
            for _ in 0..<20 {
                if try await dispatcher.deliverDue() > 0 { attemptTimes.append(fixture.clock.now) }
                // Jump to the next due time, or stop when nothing is scheduled.
                guard let delivery = try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID),
                      delivery.status == .pending, let next = delivery.nextAttemptAt else { break }
                // Not due a millisecond early.
                fixture.clock.advance(to: next.addingTimeInterval(-0.001))
                #expect(try await dispatcher.deliverDue() == 0)
                fixture.clock.advance(to: next)
            }
            #expect(transport.calls == 8)
            let offsets = attemptTimes.map { Int($0.timeIntervalSince(Self.start).rounded()) }
            #expect(offsets == [0, 5, 305, 2105, 9305, 27305, 63305, 99305])
            #expect(offsets.last! >= 24 * 3600)
            let delivery = try #require(try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID))
            #expect(delivery.status == .failed)
            #expect(delivery.attemptCount == 8)
            let attempts = try await fixture.store.attempts(eventID: fixture.eventID)
            #expect(attempts.map(\.number) == Array(1...8))
            #expect(attempts.allSatisfy { $0.httpStatus == 500 && $0.error == "receiver answered HTTP 500" })
        }
    }

    @Test("success on the third attempt ends the schedule")
    func successStopsRetries() async throws {
        try await Self.withFixture { fixture in
            let transport = ScriptedTransport(failures: 2)
            let dispatcher = Self.dispatcher(fixture, transport: transport)
            for _ in 0..<3 {
                try await dispatcher.deliverDue()
                if let next = try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID)?.nextAttemptAt {
                    fixture.clock.advance(to: next)
                }
            }
            fixture.clock.advance(to: Self.start.addingTimeInterval(48 * 3600))
            #expect(try await dispatcher.deliverDue() == 0)
            #expect(transport.calls == 3)
            let delivery = try #require(try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID))
            #expect(delivery.status == .succeeded)
            // The attempt was signed per Standard Webhooks with the event's id.
            #expect(transport.lastHeaders.first { $0.0 == "webhook-id" }?.1 == fixture.eventID)
            #expect(transport.lastHeaders.first { $0.0 == "webhook-signature" }?.1.hasPrefix("v1,") == true)
        }
    }

    @Test("Retry-After longer than the backoff is honoured")
    func retryAfter() async throws {
        try await Self.withFixture { fixture in
            let transport = ScriptedTransport(failures: 1, failure: TransportResult(httpStatus: 503, retryAfterSeconds: 120, error: "receiver answered HTTP 503"))
            try await Self.dispatcher(fixture, transport: transport).deliverDue()
            let delivery = try #require(try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID))
            #expect(delivery.nextAttemptAt == Self.start.addingTimeInterval(120))
        }
    }

    @Test("an event without any notify URL is marked no_endpoint and not retried")
    func noEndpoint() async throws {
        try await Self.withFixture(notifyURL: nil) { fixture in
            let transport = ScriptedTransport(failures: 0)
            let dispatcher = Self.dispatcher(fixture, transport: transport)
            try await dispatcher.deliverDue()
            fixture.clock.advance(to: Self.start.addingTimeInterval(3600))
            #expect(try await dispatcher.deliverDue() == 0)
            #expect(transport.calls == 0)
            #expect(try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID)?.status == .noEndpoint)
        }
    }

    @Test("a leased delivery is not claimed twice until its lease ends")
    func leases() async throws {
        try await Self.withFixture { fixture in
            let claimed = try await fixture.store.claimDueDeliveries(now: Self.start, limit: 10, lease: .seconds(60))
            #expect(claimed.count == 1)
            #expect(try await fixture.store.claimDueDeliveries(now: Self.start.addingTimeInterval(59), limit: 10, lease: .seconds(60)).isEmpty)
            #expect(try await fixture.store.claimDueDeliveries(now: Self.start.addingTimeInterval(60), limit: 10, lease: .seconds(60)).count == 1)
            try await fixture.store.releaseAllLeases()
            #expect(try await fixture.store.claimDueDeliveries(now: Self.start.addingTimeInterval(61), limit: 10, lease: .seconds(60)).count == 1)
        }
    }

    /// A new merchant with `count` paid intents, each with its payment_success event due at `start`.
    static func paidIntents(
        _ store: SQLiteStore, merchant name: String, count: Int, notifyURL: (Int) -> String
    ) async throws -> Merchant {
        let (draft, _) = MerchantFactory.make(name: name, h5Domain: nil, now: start)
        let merchant = try await store.createMerchant(draft)
        for index in 0..<count {
            let orderID = "C-\(merchant.uid)-\(index)"
            let intent = PaymentIntent(
                orderID: orderID, merchantUID: merchant.uid, merchantOrderID: "P\(index)",
                amount: Money(minorUnits: 100, currency: Currency(code: "USD")!), description: "d", notifyURL: notifyURL(index),
                returnURL: nil, method: PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", terminalType: "WEB"),
                createTime: start, expiresAt: start.addingTimeInterval(1800), requestFingerprint: "f"
            )
            _ = try await store.insert(intent)
            let outcome = try await store.transition(
                orderID: orderID,
                decide: { PaymentStateMachine.transition($0, on: .providerSucceeded(payTime: start, wallet: nil, settleCurrency: nil)) },
                makeEvent: { WebhookPayload.event($1, for: $0, at: start, timestamps: TimestampFormat(utcOffsetSeconds: 0)) }
            )
            guard case .applied(_, _?) = outcome else { throw FixtureFailed() }
        }
        return merchant
    }

    @Test("a merchant whose endpoint hangs holds at most 2 attempts to it; other merchants' webhooks go out meanwhile")
    func hangingEndpointDoesNotStarveOthers() async throws {
        try await Self.withFixture { fixture in
            _ = try await Self.paidIntents(fixture.store, merchant: "Slow", count: 40) { _ in "https://tarpit.example/hooks" }
            _ = try await Self.paidIntents(fixture.store, merchant: "Neighbour", count: 2) { _ in "https://neighbour.example/hooks" }
            let transport = HoldingTransport()
            let dispatcher = Self.dispatcher(fixture, transport: transport)
            let pass = Task { try await dispatcher.deliverDue() }
            let neighbourServed = await transport.waitUntil { $0.deliveredCount(containing: "neighbour.example") == 2 && $0.held == 2 && $0.delivered.count == 3 }
            let seen = transport.snapshot
            transport.release()
            _ = try await pass.value
            #expect(neighbourServed, "the neighbour's webhooks waited behind the hanging endpoint: \(seen.delivered)")
            #expect(seen.maxHeldPerHost["tarpit.example"] == 2)
            #expect(seen.deliveredCount(containing: "merchant.example") == 1)
        }
    }

    @Test("a merchant has at most 16 attempts in flight, however many endpoints it uses")
    func perMerchantCap() async throws {
        try await Self.withFixture { fixture in
            _ = try await Self.paidIntents(fixture.store, merchant: "Slow", count: 40) { "https://tarpit\($0 % 12).example/hooks" }
            _ = try await Self.paidIntents(fixture.store, merchant: "Neighbour", count: 2) { _ in "https://neighbour.example/hooks" }
            let transport = HoldingTransport()
            let dispatcher = Self.dispatcher(fixture, transport: transport)
            let pass = Task { try await dispatcher.deliverDue() }
            let neighbourServed = await transport.waitUntil { $0.deliveredCount(containing: "neighbour.example") == 2 && $0.held == 16 }
            let seen = transport.snapshot
            transport.release()
            _ = try await pass.value
            #expect(neighbourServed, "neighbour served: \(seen.deliveredCount(containing: "neighbour.example")), held: \(seen.held)")
            #expect(seen.maxHeld == 16)
            #expect(seen.maxHeldPerHost.values.allSatisfy { $0 <= 2 })
        }
    }

    @Test("a private or link-local target is refused before any request", arguments: [
        "http://127.0.0.1/hooks", "http://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data", "http://[::1]/hooks",
        "http://[fd00:ec2::254]/", "http://192.168.0.10/", "http://localhost:8080/", "http://metadata.google.internal/",
        "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
        // IPv6 forms carrying a non-public IPv4 address: IPv4-compatible, -translated, NAT64, 6to4, Teredo.
        "http://[::127.0.0.1]/", "http://[::10.0.0.1]/", "http://[::169.254.169.254]/", "http://[::ffff:0:192.168.1.1]/",
        "http://[64:ff9b::127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::10.1.2.3]/",
        "http://[64:ff9b:1::5db8:d822]/", "http://[64:ff9b:1:ffff::1]/",
        "http://[2002:7f00:1::1]/", "http://[2002:a9fe:a9fe::]/", "http://[2002:c0a8:0101::1]/",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "http://[2001:0:a00:1::5db8:d822]/",
    ])
    func privateTargets(url: String) async {
        guard case .refused = await WebhookTargetPolicy(allowPrivateTargets: false).verdict(for: url) else {
            Issue.record("\(url) allowed"); return
        }
        #expect(await WebhookTargetPolicy(allowPrivateTargets: true).verdict(for: url) == .allowed(connectTo: nil))
    }

    @Test("a public address is allowed as it is, with no pin (no DNS is involved)", arguments: [
        "https://93.184.216.34/hooks", "https://[2606:2800:220:1:248:1893:25c8:1946]/hooks",
        // IPv6 forms carrying a public IPv4 address (93.184.216.34).
        "https://[::ffff:93.184.216.34]/", "https://[64:ff9b::5db8:d822]/", "https://[2002:5db8:d822::1]/",
        "https://[2001:0:4136:e378:8000:63bf:a247:27dd]/",
    ])
    func publicTarget(url: String) async {
        #expect(await WebhookTargetPolicy(allowPrivateTargets: false).verdict(for: url) == .allowed(connectTo: nil))
    }

    /// A resolver that gives its answers in turn, as a DNS server rebinding a name would.
    static func rebinding(_ answers: [String]...) -> WebhookTargetPolicy.Resolver {
        let remaining = Mutex(answers)
        return { _, port in
            let answer = remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            guard let answer else { throw NoMoreAnswers() }
            return try answer.map { try SocketAddress(ipAddress: $0, port: port) }
        }
    }

    /// The test resolver was asked more often than the test scripted.
    struct NoMoreAnswers: Error {}

    @Test("a name is pinned to the public address that was checked; when it later resolves inward it is refused")
    func namesArePinned() async {
        let policy = WebhookTargetPolicy(allowPrivateTargets: false, resolve: Self.rebinding(["93.184.216.34", "93.184.216.35"], ["10.0.0.7"]))
        #expect(await policy.verdict(for: "https://rebind.example/hooks") == .allowed(connectTo: "93.184.216.34"))
        guard case .refused = await policy.verdict(for: "https://rebind.example/hooks") else { Issue.record("rebound name allowed"); return }
        // One private address among public ones is enough to refuse.
        let mixed = WebhookTargetPolicy(allowPrivateTargets: false, resolve: Self.rebinding(["93.184.216.34", "169.254.169.254"]))
        guard case .refused = await mixed.verdict(for: "https://mixed.example/hooks") else { Issue.record("mixed answer allowed"); return }
    }

    @Test("a host name lookup that takes too long ends the attempt with a clear error")
    func resolutionTimesOut() async {
        let hanging: WebhookTargetPolicy.Resolver = { _, _ in
            try await Task.sleep(for: .seconds(3600))
            return []
        }
        let policy = WebhookTargetPolicy(allowPrivateTargets: false, resolutionTimeout: .milliseconds(50), resolve: hanging)
        let started = ContinuousClock.now
        #expect(await policy.verdict(for: "https://slow-dns.example/hooks") == .unresolved("notify URL host did not resolve within 50 ms"))
        #expect(ContinuousClock.now - started < .seconds(2))
        let failing = WebhookTargetPolicy(allowPrivateTargets: false, resolve: Self.rebinding())
        #expect(await failing.verdict(for: "https://nowhere.example/hooks") == .unresolved("notify URL host does not resolve"))
    }

    @Test("a lookup that does not answer in time is a failed attempt, recorded and retried")
    func resolutionTimeoutIsAFailedAttempt() async throws {
        try await Self.withFixture { fixture in
            let transport = ScriptedTransport(failures: 0)
            let hanging: WebhookTargetPolicy.Resolver = { _, _ in
                try await Task.sleep(for: .seconds(3600))
                return []
            }
            let targets = WebhookTargetPolicy(allowPrivateTargets: false, resolutionTimeout: .milliseconds(20), resolve: hanging)
            try await Self.dispatcher(fixture, transport: transport, targets: targets).deliverDue()
            #expect(transport.calls == 0)
            let delivery = try #require(try await fixture.store.delivery(merchantUID: 12009321, eventID: fixture.eventID))
            #expect(delivery.status == .pending && delivery.attemptCount == 1)
            #expect(try await fixture.store.attempts(eventID: fixture.eventID).first?.error == "notify URL host did not resolve within 20 ms")
        }
    }

    @Test("the dispatcher sends to the address its policy checked")
    func dispatcherUsesThePin() async throws {
        try await Self.withFixture { fixture in
            let transport = ScriptedTransport(failures: 0)
            let targets = WebhookTargetPolicy(allowPrivateTargets: false, resolve: Self.rebinding(["93.184.216.34"]))
            try await Self.dispatcher(fixture, transport: transport, targets: targets).deliverDue()
            #expect(transport.calls == 1)
            #expect(transport.lastConnectTo == "93.184.216.34")
        }
    }
}

@Suite("Webhook retry policy")
struct WebhookRetryPolicyTests {
    let now = Date(timeIntervalSince1970: 0)
    let policy = WebhookRetryPolicy.standard

    @Test func successEndsDelivery() {
        #expect(policy.decision(afterAttempt: 1, error: nil, retryAfterSeconds: nil, now: now, random: 0) == .succeeded(at: now))
    }

    @Test func firstFailureRetriesAfterFiveSeconds() {
        #expect(policy.decision(afterAttempt: 1, error: "x", retryAfterSeconds: nil, now: now, random: 0) == .retry(at: now.addingTimeInterval(5), error: "x"))
    }

    @Test func jitterOnlyLengthensUpToTenPercent() {
        #expect(policy.decision(afterAttempt: 2, error: "x", retryAfterSeconds: nil, now: now, random: 0.999_999) == .retry(at: now.addingTimeInterval(300 * 1.099_999_9), error: "x"))
    }

    @Test func eighthFailureFailsForGood() {
        #expect(policy.decision(afterAttempt: 8, error: "x", retryAfterSeconds: nil, now: now, random: 0) == .failed(at: now, error: "x"))
    }

    @Test func atLeastEightAttemptsOverAtLeast24Hours() {
        #expect(policy.maximumAttempts >= 8)
        let total = policy.delays.reduce(Duration.zero, +)
        #expect(total >= .seconds(24 * 3600))
    }

    @Test func retryAfterIsCapped() {
        #expect(policy.decision(afterAttempt: 1, error: "x", retryAfterSeconds: 999_999, now: now, random: 0) == .retry(at: now.addingTimeInterval(6 * 3600), error: "x"))
    }

    @Test func shorterRetryAfterDoesNotShortenBackoff() {
        #expect(policy.decision(afterAttempt: 3, error: "x", retryAfterSeconds: 1, now: now, random: 0) == .retry(at: now.addingTimeInterval(1800), error: "x"))
    }
}
