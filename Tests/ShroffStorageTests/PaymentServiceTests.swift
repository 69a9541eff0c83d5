import Foundation
@testable import ShroffCore
import Synchronization
import ShroffSQLite
import Testing

/// A scripted wallet provider. The provider is a port; the end-to-end tests drive the real sandbox.
actor FakeProvider: PaymentProvider {
    enum Answer: Sendable {
        case awaitingShopper
        case succeeded(Date)
        case rejected(code: String, message: String)
        case unavailable
    }

    private var answers: [Answer]
    private(set) var startedOrderIDs: [String] = []
    private(set) var requests: [ProviderPaymentRequest] = []

    /// Answers in turn; the last answer repeats.
    init(_ answers: Answer...) { self.answers = answers }

    func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        startedOrderIDs.append(request.intent.orderID)
        requests.append(request)
        // Let racing callers interleave, as a network call would.
        for _ in 0..<5 { await Task.yield() }
        let answer = answers.count > 1 ? answers.removeFirst() : answers[0]
        switch answer {
        case .awaitingShopper:
            return .awaitingShopper(
                NextAction(type: .redirect, url: "https://cashier.example/pay/\(request.intent.orderID)"),
                providerPaymentID: "PP-\(request.intent.orderID)"
            )
        case .succeeded(let payTime):
            return .succeeded(payTime: payTime, wallet: "ALIPAY_HK", providerPaymentID: "PP-\(request.intent.orderID)")
        case .rejected(let code, let message):
            return .rejected(code: code, message: message)
        case .unavailable:
            throw ProviderUnavailable(reason: "timed out")
        }
    }

    func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState { .processing }
    func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult { .cancelled }
    private(set) var refundRequests: [ProviderRefundRequest] = []
    func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        refundRequests.append(request)
        return .processing(providerRefundID: nil)
    }
    func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState { .processing }
}

/// A payment service over a fresh SQLite store, with one merchant.
struct ServiceFixture {
    let harness: SQLiteHarness
    let provider: FakeProvider
    let service: PaymentService
    let merchant: Merchant
    var store: any GatewayStore { harness.store }

    static func with(
        _ provider: FakeProvider, alert: @escaping @Sendable (RaisedAlert) -> Void = { _ in }, _ body: (ServiceFixture) async throws -> Void
    ) async throws {
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(name: "Demo shop"))
            let service = PaymentService(
                intents: harness.store, refunds: harness.store, providerChecks: harness.store, provider: provider,
                timestamps: hongKongTime, alert: alert
            )
            try await body(ServiceFixture(harness: harness, provider: provider, service: service, merchant: merchant))
        }
    }

    func create(_ request: CreateIntentRequest) async throws -> PaymentIntent {
        try await service.create(request, merchant: merchant, logger: quietLogger)
    }
}

/// Seed 000's example request, validated.
func seed000Request(amount: String = "1", edits: [String: JSONValue] = [:]) throws -> CreateIntentRequest {
    var body: [String: JSONValue] = [
        "amount": .string(amount), "currency": .string("USD"), "merchant_order_id": .string("P9297895081903"),
        "payment_method": .object([
            "type": .string("aplus"),
            "aplus": .object([
                "flow": .string("cashier"), "presentment_mode": .string("UNIFIED"),
                "payment_method": .string("CONNECT_WALLET"), "terminal_type": .string("WEB"),
            ]),
        ]),
        "description": .string("Online Payment"), "notify_url": .string("https://put_your_site_here/example_url"),
    ]
    body.merge(edits) { $1 }
    return try CreateIntentRequest.validate(body, h5Domain: nil)
}

/// Runs `body` and returns the GatewayError it throws (recording an issue if it throws none or another error).
func gatewayError(_ body: () async throws -> Void) async -> GatewayError? {
    do {
        try await body()
        Issue.record("expected a GatewayError, nothing was thrown")
    } catch let error as GatewayError {
        return error
    } catch {
        Issue.record("expected a GatewayError, got \(error)")
    }
    return nil
}

@Suite("PaymentService on SQLite")
struct PaymentServiceTests {
    @Test("create stores the intent and records the provider's next action")
    func createStartsPayment() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let request = try seed000Request(edits: ["expire_in_seconds": .number("600")])
            let intent = try await fixture.create(request)
            #expect(intent.status == .pending)
            #expect(intent.orderID.hasPrefix("C") && intent.orderID.count <= 32)
            #expect(intent.merchantUID == fixture.merchant.uid)
            #expect(intent.merchantOrderID == "P9297895081903")
            #expect(intent.amount == request.amount)
            #expect(intent.nextAction == NextAction(type: .redirect, url: "https://cashier.example/pay/\(intent.orderID)"))
            #expect(intent.providerPaymentID == "PP-\(intent.orderID)")
            #expect(intent.requestFingerprint == request.fingerprint)
            #expect(abs(intent.expiresAt.timeIntervalSince(intent.createTime) - 600) < 0.002)
            #expect(try await fixture.store.intent(orderID: intent.orderID) == intent)
            #expect(await fixture.provider.startedOrderIDs == [intent.orderID])
            #expect(await fixture.provider.requests.first?.merchantName == "Demo shop")
            #expect(try await fixture.store.webhookEvents(orderID: intent.orderID).isEmpty)
        }
    }

    @Test("the default expiry is 30 minutes")
    func defaultExpiry() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let intent = try await fixture.create(try seed000Request())
            #expect(abs(intent.expiresAt.timeIntervalSince(intent.createTime) - 1800) < 0.002)
        }
    }

    @Test("an identical create answers the same intent without a second payment")
    func idempotentCreate() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let first = try await fixture.create(try seed000Request())
            let second = try await fixture.create(try seed000Request())
            #expect(second.orderID == first.orderID)
            #expect(second == first)
            #expect(await fixture.provider.startedOrderIDs == [first.orderID])
        }
    }

    @Test("the same merchant_order_id with a different amount is a duplicate request (40900)")
    func duplicateRequest() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let first = try await fixture.create(try seed000Request(amount: "1"))
            let error = await gatewayError { _ = try await fixture.create(try seed000Request(amount: "2")) }
            #expect(error?.kind == .duplicateRequest)
            #expect(error?.kind.code == 40900)
            #expect(error?.message.hasPrefix("merchant_order_id:") == true)
            let description = await gatewayError {
                _ = try await fixture.create(try seed000Request(edits: ["description": .string("Another thing")]))
            }
            #expect(description?.kind == .duplicateRequest)
            #expect(try await fixture.store.intent(orderID: first.orderID) == first)
            #expect(await fixture.provider.startedOrderIDs == [first.orderID])
        }
    }

    @Test("identical creates racing make one intent and one downstream payment")
    func racingCreates() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let request = try seed000Request()
            let intents = try await withThrowingTaskGroup(of: PaymentIntent.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await fixture.create(request) }
                }
                return try await group.reduce(into: [PaymentIntent]()) { $0.append($1) }
            }
            #expect(intents.count == 10)
            let orderIDs = Set(intents.map(\.orderID))
            #expect(orderIDs.count == 1)
            let orderID = try #require(orderIDs.first)
            #expect(try await fixture.store.intent(merchantUID: fixture.merchant.uid, merchantOrderID: "P9297895081903")?.orderID == orderID)
            // One downstream payment: every call the provider saw carries the one order id (its idempotency
            // key), and on one node the racing creates share a single call (README).
            let started = await fixture.provider.startedOrderIDs
            #expect(!started.isEmpty)
            #expect(started.allSatisfy { $0 == orderID })
            #expect(started.count == 1)
            #expect(intents.allSatisfy { $0.nextAction != nil })
        }
    }

    @Test("provider unavailable → 50300 with Retry-After; the intent stays PENDING and a retry re-asks with the same order id")
    func providerUnavailable() async throws {
        try await ServiceFixture.with(FakeProvider(.unavailable, .awaitingShopper)) { fixture in
            let error = await gatewayError { _ = try await fixture.create(try seed000Request()) }
            #expect(error?.kind == .providerUnavailable)
            #expect(error?.kind.code == 50300)
            #expect((error?.retryAfterSeconds ?? 0) > 0)
            let stored = try #require(try await fixture.store.intent(merchantUID: fixture.merchant.uid, merchantOrderID: "P9297895081903"))
            #expect(stored.status == .pending)
            #expect(stored.nextAction == nil)

            let retried = try await fixture.create(try seed000Request())
            #expect(retried.orderID == stored.orderID)
            #expect(retried.nextAction != nil)
            #expect(await fixture.provider.startedOrderIDs == [stored.orderID, stored.orderID])
        }
    }

    @Test("provider rejection → 42200 with provider_code; the intent is CANCELLED with its webhook")
    func providerRejected() async throws {
        try await ServiceFixture.with(FakeProvider(.rejected(code: "USER_BALANCE_NOT_ENOUGH", message: "The user balance is not enough"))) { fixture in
            let error = await gatewayError { _ = try await fixture.create(try seed000Request()) }
            #expect(error?.kind == .rejected)
            #expect(error?.kind.code == 42200)
            #expect(error?.providerCode == "USER_BALANCE_NOT_ENOUGH")
            #expect(error?.message.contains("USER_BALANCE_NOT_ENOUGH") == true)
            let stored = try #require(try await fixture.store.intent(merchantUID: fixture.merchant.uid, merchantOrderID: "P9297895081903"))
            #expect(stored.status == .cancelled)
            #expect(stored.failureCode == "USER_BALANCE_NOT_ENOUGH")
            #expect(try await fixture.store.webhookEvents(orderID: stored.orderID).map(\.kind) == [.paymentCancelled])

            // A retry answers the final intent and does not pay again.
            let retried = try await fixture.create(try seed000Request())
            #expect(retried.orderID == stored.orderID)
            #expect(retried.status == .cancelled)
            #expect(await fixture.provider.startedOrderIDs == [stored.orderID])
        }
    }

    @Test("a provider that reports the payment already paid makes the intent SUCCEEDED with payment_success")
    func providerAlreadyPaid() async throws {
        let payTime = millisDate(1_700_000_050_000)
        try await ServiceFixture.with(FakeProvider(.succeeded(payTime))) { fixture in
            let intent = try await fixture.create(try seed000Request())
            #expect(intent.status == .succeeded)
            #expect(intent.payTime == payTime)
            #expect(intent.nextAction == nil)
            let events = try await fixture.store.webhookEvents(orderID: intent.orderID)
            #expect(events.map(\.kind) == [.paymentSuccess])
        }
    }

    @Test("a cancel that overtakes the create's pay call: the payment that lands later is cancelled downstream too")
    func cancelOvertakingThePayCall() async throws {
        let provider = SlowPayProvider()
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(name: "Demo shop"))
            let service = PaymentService(
                intents: harness.store, refunds: harness.store, providerChecks: harness.store, provider: provider, timestamps: hongKongTime
            )
            let creating = Task { try await service.create(try seed000Request(), merchant: merchant, logger: quietLogger) }
            let orderID = await provider.waitForPayCall()
            // The provider has no payment yet: the cancel finds nothing and the intent is CANCELLED.
            let cancelled = try await service.cancel(merchantUID: merchant.uid, orderID: orderID, merchantOrderID: nil, logger: quietLogger)
            #expect(cancelled.status == .cancelled)
            #expect(await provider.cancelAnswers == [.notFound])
            // Now the pay call lands: the create answers the CANCELLED intent and the new payment is cancelled.
            await provider.landPayment()
            let created = try await creating.value
            #expect(created.status == .cancelled)
            #expect(await provider.cancelAnswers == [.notFound, .cancelled])
            #expect(try await harness.store.webhookEvents(orderID: orderID).map(\.kind) == [.paymentCancelled])
        }
    }

    @Test("a refund is first checked at the provider after the reconciliation schedule's first delay, as intents are")
    func firstChecksFollowTheSchedule() async throws {
        let clock = Date(timeIntervalSince1970: 1_800_000_000)
        let schedule = ReconciliationSchedule(first: .seconds(42), steps: [(1, .seconds(60))], lease: .seconds(60))
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(name: "Demo shop"))
            let service = PaymentService(
                intents: harness.store, refunds: harness.store, providerChecks: harness.store, provider: FakeProvider(.succeeded(clock)),
                timestamps: hongKongTime, reconciliation: schedule, now: { clock }
            )
            let intent = try await service.create(try seed000Request(), merchant: merchant, logger: quietLogger)
            #expect(intent.status == .succeeded)
            let refund = try await service.createRefund(
                try CreateRefundRequest.validate(["order_id": .string(intent.orderID), "merchant_refund_id": .string("R-1"), "amount": .string("1")]),
                merchant: merchant, logger: quietLogger
            )
            #expect(refund.status == .processing)
            let early = clock.addingTimeInterval(41.9)
            #expect(try await harness.store.claimDueRefundChecks(now: early, limit: 10, lease: .seconds(60)).isEmpty)
            let due = try await harness.store.claimDueRefundChecks(now: clock.addingTimeInterval(42), limit: 10, lease: .seconds(60))
            #expect(due.map(\.item.refundID) == [refund.refundID])
        }
    }

    @Test("a reconciliation resend of a refund joins the create's call still in flight instead of sending a second one")
    func refundResendJoinsTheCallInFlight() async throws {
        let provider = SlowRefundProvider()
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(name: "Demo shop"))
            let service = PaymentService(
                intents: harness.store, refunds: harness.store, providerChecks: harness.store, provider: provider, timestamps: hongKongTime,
                now: { clock.withLock { $0 } }
            )
            let intent = try await service.create(try seed000Request(), merchant: merchant, logger: quietLogger)
            let request = try CreateRefundRequest.validate(["order_id": .string(intent.orderID), "merchant_refund_id": .string("R-1"), "amount": .string("1")])
            let refunding = Task { try await service.createRefund(request, merchant: merchant, logger: quietLogger) }
            await provider.waitForRefundCall()
            // The first check falls due while the create's call is unanswered; the provider knows nothing yet.
            clock.withLock { $0 = $0.addingTimeInterval(60) }
            let reconciling = Task { try await service.reconcileDue(logger: quietLogger) }
            await provider.waitForInquiry()
            await provider.landRefunds()
            #expect(try await refunding.value.status == .succeeded)
            #expect(try await reconciling.value == 1)
            #expect(await provider.refundCalls == 1)
        }
    }

    @Test("apply goes through the state machine and the outbox")
    func applyEvents() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let intent = try await fixture.create(try seed000Request())
            let payTime = millisDate(1_700_000_050_000)
            let paid = try await fixture.service.apply(
                .providerSucceeded(payTime: payTime, wallet: "GCASH", settleCurrency: "HKD"), to: intent.orderID, logger: quietLogger
            )
            #expect(paid.status == .succeeded)
            #expect(paid.walletUsed == "GCASH")
            // A late failure and a repeated success change nothing.
            let late = try await fixture.service.apply(.providerFailed(code: "PROCESS_FAIL"), to: intent.orderID, logger: quietLogger)
            #expect(late == paid)
            _ = try await fixture.service.apply(.providerSucceeded(payTime: payTime, wallet: nil, settleCurrency: nil), to: intent.orderID, logger: quietLogger)
            let events = try await fixture.store.webhookEvents(orderID: intent.orderID)
            #expect(events.map(\.kind) == [.paymentSuccess])
            #expect(events.first?.body.contains("\"settle_currency\":\"HKD\"") == true)

            let missing = await gatewayError { _ = try await fixture.service.apply(.providerFailed(code: "X"), to: "C404", logger: quietLogger) }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test("operator alerts: a payment after expiry, a provider contradicting a success or a refund; none for ordinary changes")
    func operatorAlerts() async throws {
        let alerts = Mutex<[OperatorAlert]>([])
        let raised = Mutex<[RaisedAlert]>([])
        try await ServiceFixture.with(FakeProvider(.awaitingShopper), alert: { alert in
            alerts.withLock { $0.append(alert.kind) }
            raised.withLock { $0.append(alert) }
        }) { fixture in
            let onTime = try await fixture.create(try seed000Request())
            let paid = try await fixture.service.apply(
                .providerSucceeded(payTime: onTime.expiresAt, wallet: nil, settleCurrency: nil), to: onTime.orderID, logger: quietLogger
            )
            #expect(paid.status == .succeeded)
            #expect(alerts.withLock { $0 } == [])

            let late = try await fixture.create(try seed000Request(edits: ["merchant_order_id": .string("LATE-1")]))
            let paidLate = try await fixture.service.apply(
                .providerSucceeded(payTime: late.expiresAt.addingTimeInterval(1), wallet: nil, settleCurrency: nil), to: late.orderID, logger: quietLogger
            )
            #expect(paidLate.status == .succeeded)
            #expect(alerts.withLock { $0 } == [.paidAfterExpiry])

            let contradicted = try await fixture.service.apply(.cancelConfirmed(reason: "MERCHANT_CANCELLED"), to: onTime.orderID, logger: quietLogger)
            #expect(contradicted.status == .succeeded)
            #expect(alerts.withLock { $0 } == [.paidAfterExpiry, .paymentConflict])

            let refund = try await fixture.service.createRefund(
                try CreateRefundRequest.validate(["order_id": .string(onTime.orderID), "merchant_refund_id": .string("R-1"), "amount": .string("1")]),
                merchant: fixture.merchant, logger: quietLogger
            )
            _ = try await fixture.service.applyRefund(.providerSucceeded(time: paid.createTime, providerRefundID: nil), to: refund.refundID, logger: quietLogger)
            let refundContradicted = try await fixture.service.applyRefund(
                .providerFailed(code: "REFUND_FAIL", time: paid.createTime), to: refund.refundID, logger: quietLogger
            )
            #expect(refundContradicted.status == .succeeded)
            #expect(alerts.withLock { $0 } == [.paidAfterExpiry, .paymentConflict, .refundConflict])
            // Each carries the payment it concerns, for the operator console.
            let context = raised.withLock { $0 }.map { [$0.merchantUID.map(String.init), $0.orderID, $0.refundID] }
            let uid = String(fixture.merchant.uid)
            #expect(context == [[uid, late.orderID, nil], [uid, onTime.orderID, nil], [uid, onTime.orderID, refund.refundID]])
            #expect(raised.withLock { $0 }.allSatisfy { !$0.detail.isEmpty })
        }
    }

    @Test("AMS: a payment notified after the cancel keeps the intent CANCELLED, is refunded in full automatically once, raises paid_after_cancel")
    func paidAfterCancelIsRefunded() async throws {
        let alerts = Mutex<[OperatorAlert]>([])
        try await ServiceFixture.with(FakeProvider(.awaitingShopper), alert: { alert in alerts.withLock { $0.append(alert.kind) } }) { fixture in
            let intent = try await fixture.create(try seed000Request())
            let cancelled = try await fixture.service.cancel(
                merchantUID: fixture.merchant.uid, orderID: intent.orderID, merchantOrderID: nil, logger: quietLogger
            )
            #expect(cancelled.status == .cancelled)
            let payTime = intent.createTime.addingTimeInterval(5)
            let late = try await fixture.service.apply(
                .providerSucceeded(payTime: payTime, wallet: "ALIPAY_HK", settleCurrency: nil), to: intent.orderID, logger: quietLogger
            )
            #expect(late.status == .cancelled)
            #expect(late.latePaymentTime == payTime)
            #expect(alerts.withLock { $0 } == [.paidAfterCancel])
            let sent = await fixture.provider.refundRequests
            #expect(sent.count == 1)
            #expect(sent.first?.refund.amount == intent.amount)
            #expect(sent.first?.refund.merchantRefundID == "auto:\(intent.orderID)")
            #expect(sent.first?.refund.reason == "PAID_AFTER_CANCEL")

            // The same report again (a retried notification, an inquiry) changes nothing and refunds nothing more.
            _ = try await fixture.service.apply(
                .providerSucceeded(payTime: payTime, wallet: "ALIPAY_HK", settleCurrency: nil), to: intent.orderID, logger: quietLogger
            )
            #expect(await fixture.provider.refundRequests.count == 1)
            #expect(alerts.withLock { $0 } == [.paidAfterCancel])

            // The merchant cannot refund it a second time.
            let refused = await gatewayError {
                _ = try await fixture.service.createRefund(
                    try CreateRefundRequest.validate(["order_id": .string(intent.orderID), "merchant_refund_id": .string("R-9"), "amount": .string("1")]),
                    merchant: fixture.merchant, logger: quietLogger
                )
            }
            #expect(refused?.kind == .invalidState)

            let refund = try #require(sent.first?.refund)
            let done = try await fixture.service.applyRefund(.providerSucceeded(time: payTime, providerRefundID: "RF-1"), to: refund.refundID, logger: quietLogger)
            #expect(done.status == .succeeded)
            let final = try #require(try await fixture.store.intent(orderID: intent.orderID))
            #expect(final.status == .cancelled)
            #expect(final.refundedMinorUnits == intent.amount.minorUnits)
            #expect(try await fixture.store.webhookEvents(orderID: intent.orderID).map(\.kind) == [.paymentCancelled, .refundSuccess])
        }
    }

    @Test("the backup check of a payment after cancel creates the automatic refund when it is missing, then ends")
    func latePaymentBackupCheck() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let intent = try await fixture.create(try seed000Request())
            _ = try await fixture.service.apply(.cancelConfirmed(reason: "MERCHANT_CANCELLED"), to: intent.orderID, logger: quietLogger)
            // Recorded straight in the store, as if the node died before it could refund.
            let outcome = try await fixture.store.transition(
                orderID: intent.orderID,
                decide: { PaymentStateMachine.transition($0, on: .providerSucceeded(payTime: intent.createTime, wallet: nil, settleCurrency: nil)) },
                makeEvent: { intent, kind in WebhookPayload.event(kind, for: intent, at: Date(), timestamps: hongKongTime) }
            )
            guard case .applied = outcome else { Issue.record("late payment not recorded: \(outcome)"); return }
            let later = Date().addingTimeInterval(ProviderCheckChange.latePaymentBackupDelay + 1)
            let due = try await fixture.store.claimDueIntentChecks(now: later, limit: 10, lease: .seconds(60))
            #expect(due.map(\.item.orderID) == [intent.orderID])
            await fixture.service.reconcile(try #require(due.first), logger: quietLogger)
            #expect(await fixture.provider.refundRequests.map(\.refund.merchantRefundID) == ["auto:\(intent.orderID)"])
            #expect(try await fixture.store.claimDueIntentChecks(now: later.addingTimeInterval(86400), limit: 10, lease: .seconds(60)).isEmpty)
        }
    }

    @Test("find looks up a merchant's own intents by order_id and/or merchant_order_id")
    func find() async throws {
        try await ServiceFixture.with(FakeProvider(.awaitingShopper)) { fixture in
            let intent = try await fixture.create(try seed000Request())
            let uid = fixture.merchant.uid
            #expect(try await fixture.service.find(merchantUID: uid, orderID: intent.orderID, merchantOrderID: nil) == intent)
            #expect(try await fixture.service.find(merchantUID: uid, orderID: nil, merchantOrderID: "P9297895081903") == intent)
            #expect(try await fixture.service.find(merchantUID: uid, orderID: intent.orderID, merchantOrderID: "P9297895081903") == intent)

            let mismatch = await gatewayError { _ = try await fixture.service.find(merchantUID: uid, orderID: intent.orderID, merchantOrderID: "OTHER") }
            #expect(mismatch?.kind == .invalidParameter)
            #expect(mismatch?.message.hasPrefix("merchant_order_id:") == true)
            let neither = await gatewayError { _ = try await fixture.service.find(merchantUID: uid, orderID: nil, merchantOrderID: nil) }
            #expect(neither?.kind == .invalidParameter)
            let other = try await fixture.store.createMerchant(makeMerchant(name: "Other"))
            let foreign = await gatewayError { _ = try await fixture.service.find(merchantUID: other.uid, orderID: intent.orderID, merchantOrderID: nil) }
            #expect(foreign?.kind == .notFound)
        }
    }
}

/// A provider whose pay call is held until the test lets it land; a cancel finds the payment only
/// once it has landed.
actor SlowPayProvider: PaymentProvider {
    private var heldOrderID: String?
    private var waiter: CheckedContinuation<String, Never>?
    private var release: CheckedContinuation<Void, Never>?
    private var landed = false
    private(set) var cancelAnswers: [ProviderCancelResult] = []

    func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        heldOrderID = request.intent.orderID
        waiter?.resume(returning: request.intent.orderID)
        waiter = nil
        await withCheckedContinuation { release = $0 }
        landed = true
        return .awaitingShopper(NextAction(type: .redirect, url: "https://cashier.example/pay"), providerPaymentID: "PP-1")
    }

    /// The order id of the held pay call, once it has been made.
    func waitForPayCall() async -> String {
        if let heldOrderID { return heldOrderID }
        return await withCheckedContinuation { waiter = $0 }
    }

    func landPayment() {
        release?.resume()
        release = nil
    }

    func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        let answer: ProviderCancelResult = landed ? .cancelled : .notFound
        cancelAnswers.append(answer)
        return answer
    }

    func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState { .processing }
    private(set) var refundRequests: [ProviderRefundRequest] = []
    func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        refundRequests.append(request)
        return .processing(providerRefundID: nil)
    }
    func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState { .processing }
}

/// Pays at once and holds refund calls until `landRefunds()`; it has no record of a refund it was
/// asked about (as a provider whose refund call is still running).
actor SlowRefundProvider: PaymentProvider {
    private(set) var refundCalls = 0
    private var held: [CheckedContinuation<Void, Never>] = []
    private var landed = false
    private var callWaiter: CheckedContinuation<Void, Never>?
    private var inquiries = 0
    private var inquiryWaiter: CheckedContinuation<Void, Never>?

    func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        .succeeded(payTime: Date(timeIntervalSince1970: 1_800_000_000), wallet: "ALIPAY_HK", providerPaymentID: "PP-1")
    }

    func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        refundCalls += 1
        callWaiter?.resume()
        callWaiter = nil
        if !landed { await withCheckedContinuation { held.append($0) } }
        return .succeeded(time: Date(timeIntervalSince1970: 1_800_000_001), providerRefundID: "PR-1")
    }

    func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        inquiries += 1
        inquiryWaiter?.resume()
        inquiryWaiter = nil
        return .notFound
    }

    func waitForRefundCall() async {
        if refundCalls > 0 { return }
        await withCheckedContinuation { callWaiter = $0 }
    }

    func waitForInquiry() async {
        if inquiries > 0 { return }
        await withCheckedContinuation { inquiryWaiter = $0 }
    }

    /// Answers the held refund calls; later ones are answered at once.
    func landRefunds() {
        landed = true
        held.forEach { $0.resume() }
        held = []
    }

    func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState { .processing }
    func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult { .cancelled }
}
