import Foundation
import ShroffCore
import Synchronization
import Testing

/// The contract of the webhook outbox, refunds and the reconciliation schedule: the queued work
/// that several nodes share. Every check takes a fresh, empty store and runs on every engine.
extension StoreContract {
    static let t0 = millisDate(1_800_000_000_000)

    /// A merchant and `count` SUCCEEDED intents of 10.50 HKD, each with its payment_success event.
    static func paidIntents(
        _ store: any GatewayStore, count: Int, notifyURL: String? = "https://shop.example/notify", firstOrderNumber: Int = 0
    ) async throws -> (Merchant, [PaymentIntent]) {
        let merchant = try await store.createMerchant(makeMerchant())
        var intents: [PaymentIntent] = []
        for index in 0..<count {
            let number = firstOrderNumber + index
            var intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "PAID-\(number)", orderID: "C\(1_800_000_000_000 + number)")
            intent.notifyURL = notifyURL
            _ = try await store.insert(intent)
            let paid = PaymentEvent.providerSucceeded(payTime: t0, wallet: "ALIPAY_HK", settleCurrency: "HKD")
            let outcome = try await store.transition(
                orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: paid) },
                makeEvent: { WebhookPayload.event($1, for: $0, at: t0, timestamps: hongKongTime) }
            )
            guard case .applied(let next, _?) = outcome else { throw ContractSetupFailed(what: "pay \(intent.orderID): \(outcome)") }
            intents.append(next)
        }
        return (merchant, intents)
    }

    struct ContractSetupFailed: Error, CustomStringConvertible {
        let what: String
        var description: String { "contract setup failed: \(what)" }
    }

    /// Appends an event to an intent's outbox through a transition (as the payment service does).
    static func appendEvent(_ store: any GatewayStore, orderID: String, kind: WebhookEvent.Kind, at time: Date) async throws -> WebhookEvent {
        let outcome = try await store.transition(
            orderID: orderID, decide: { .apply($0, notification: kind) },
            makeEvent: { WebhookPayload.event($1, for: $0, at: time, timestamps: hongKongTime) }
        )
        guard case .applied(_, let event?) = outcome else { throw ContractSetupFailed(what: "event for \(orderID)") }
        return event
    }

    // MARK: Webhook outbox

    static func claimLeasesUntilTheLeaseEnds(_ store: any GatewayStore) async throws {
        let (merchant, intents) = try await paidIntents(store, count: 1)
        let claimed = try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
        try #require(claimed.count == 1)
        let job = claimed[0]
        #expect(job.delivery.event.orderID == intents[0].orderID)
        #expect(job.delivery.status == .pending && job.delivery.attemptCount == 0)
        #expect(job.url == "https://shop.example/notify")
        #expect(job.secrets == [merchant.webhookSecret])
        // Not due before its time, not claimed again during the lease, claimed again when it ends.
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(-1), limit: 10, lease: .seconds(60)).isEmpty)
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(59.999), limit: 10, lease: .seconds(60)).isEmpty)
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(60), limit: 10, lease: .seconds(60)).map(\.delivery.event.id) == [job.delivery.event.id])
    }

    static func releaseAllLeasesFollowsTheCapability(_ store: any GatewayStore) async throws {
        _ = try await paidIntents(store, count: 1)
        #expect(try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60)).count == 1)
        try await store.releaseAllLeases()
        let again = try await store.claimDueDeliveries(now: t0.addingTimeInterval(1), limit: 10, lease: .seconds(60))
        // An embedded database frees its leases after a restart; a shared one leaves other nodes' alone.
        #expect(again.count == (store.leasesAreExclusiveToThisProcess ? 1 : 0))
    }

    static func claimsRespectLimitAgeAndPerIntentOrder(_ store: any GatewayStore) async throws {
        let (_, intents) = try await paidIntents(store, count: 3)
        // A second and a third event on the first intent (its first is still pending).
        let second = try await appendEvent(store, orderID: intents[0].orderID, kind: .refundSuccess, at: t0)
        let third = try await appendEvent(store, orderID: intents[0].orderID, kind: .refundFailed, at: t0)
        let events = try await store.webhookEvents(orderID: intents[0].orderID)
        #expect(events.map(\.id).suffix(2) == [second.id, third.id])

        let firstRound = try await store.claimDueDeliveries(now: t0, limit: 2, lease: .seconds(60))
        #expect(firstRound.count == 2)
        // Oldest first; at most one per intent, and only an intent's oldest pending event.
        #expect(firstRound.map(\.delivery.event.orderID) == [intents[0].orderID, intents[1].orderID])
        #expect(firstRound[0].delivery.event.id == events[0].id)
        let secondRound = try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
        #expect(secondRound.map(\.delivery.event.orderID) == [intents[2].orderID])

        // The first intent's next event waits until its first one is no longer pending...
        try await store.recordAttempt(
            DeliveryAttempt(eventID: events[0].id, number: 1, startedAt: t0, url: "https://shop.example/notify", httpStatus: 500, latencyMilliseconds: 12, error: "receiver answered HTTP 500"),
            decision: .retry(at: t0.addingTimeInterval(5), error: "receiver answered HTTP 500")
        )
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(1), limit: 10, lease: .seconds(60)).isEmpty)
        let retried = try await store.claimDueDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: .seconds(60))
        #expect(retried.map(\.delivery.event.id) == [events[0].id])
        #expect(retried.first?.delivery.attemptCount == 1)
        try await store.recordAttempt(
            DeliveryAttempt(eventID: events[0].id, number: 2, startedAt: t0.addingTimeInterval(5), url: "https://shop.example/notify", httpStatus: 200, latencyMilliseconds: 7, error: nil),
            decision: .succeeded(at: t0.addingTimeInterval(5))
        )
        // ...then the next one, alone.
        let next = try await store.claimDueDeliveries(now: t0.addingTimeInterval(6), limit: 10, lease: .seconds(60))
        #expect(next.map(\.delivery.event.id) == [second.id])
    }

    static func claimsAreFairAcrossMerchantsAndURLs(_ store: any GatewayStore) async throws {
        // The busy merchant's backlog is older than anything the quiet one has.
        let (busy, busyIntents) = try await paidIntents(store, count: 6, notifyURL: "https://busy.example/hooks")
        let (quiet, quietIntents) = try await paidIntents(store, count: 2, notifyURL: "https://quiet.example/hooks", firstOrderNumber: 100)
        func orders(_ jobs: [DeliveryJob]) -> [String] { jobs.map(\.delivery.event.orderID) }
        func claim(_ limits: DeliveryClaimLimits) async throws -> [DeliveryJob] {
            try await store.claimDueDeliveries(now: t0, limits: limits, lease: .seconds(60))
        }
        /// Ends the leases of a claim, due as before (a postponement to the same time).
        func handBack(_ jobs: [DeliveryJob]) async throws {
            for job in jobs { try await store.postponeDelivery(eventID: job.delivery.event.id, until: t0, note: nil) }
        }
        // Merchants take turns: the quiet merchant's oldest comes before the busy one's third.
        let turns = try await claim(DeliveryClaimLimits(limit: 3, perMerchant: 4))
        #expect(orders(turns) == [busyIntents[0].orderID, busyIntents[1].orderID, quietIntents[0].orderID])
        try await handBack(turns)
        // At most `perMerchant` of one merchant; a merchant without room gets none.
        let capped = try await claim(DeliveryClaimLimits(limit: 10, perMerchant: 2))
        #expect(orders(capped) == [busyIntents[0].orderID, busyIntents[1].orderID, quietIntents[0].orderID, quietIntents[1].orderID])
        try await handBack(capped)
        let busyFull = try await claim(DeliveryClaimLimits(limit: 10, perMerchant: 4, merchantRoom: [busy.uid: 0, quiet.uid: 1]))
        #expect(orders(busyFull) == [quietIntents[0].orderID])
        try await handBack(busyFull)
        // Per target URL the same: a default and a room for URLs with attempts in flight.
        let perURL = try await claim(DeliveryClaimLimits(limit: 10, perMerchant: 10, perURL: 1, urlRoom: ["https://quiet.example/hooks": 0]))
        #expect(orders(perURL) == [busyIntents[0].orderID])
        try await handBack(perURL)
        let urlRoom = try await claim(DeliveryClaimLimits(limit: 10, perMerchant: 10, perURL: 1, urlRoom: ["https://busy.example/hooks": 3]))
        #expect(orders(urlRoom) == busyIntents.prefix(3).map(\.orderID) + [quietIntents[0].orderID])
    }

    static func postponedDeliveriesKeepTheirAttemptsAndOrder(_ store: any GatewayStore) async throws {
        let (merchant, intents) = try await paidIntents(store, count: 1)
        let claimed = try #require(try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60)).first)
        _ = try await appendEvent(store, orderID: intents[0].orderID, kind: .refundSuccess, at: t0)
        try await store.postponeDelivery(eventID: claimed.delivery.event.id, until: t0.addingTimeInterval(100), note: "endpoint paused")
        var delivery = try #require(try await store.delivery(merchantUID: merchant.uid, eventID: claimed.delivery.event.id))
        #expect(delivery.status == .pending && delivery.attemptCount == 0 && delivery.lastError == "endpoint paused")
        #expect(delivery.nextAttemptAt == t0.addingTimeInterval(100))
        #expect(try await store.attempts(eventID: claimed.delivery.event.id).isEmpty)
        // Not due before its new time (the lease is over, the intent's later event still waits behind it)...
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(99), limit: 10, lease: .seconds(60)).isEmpty)
        // ...then claimable again; without a note the last error is kept.
        let again = try await store.claimDueDeliveries(now: t0.addingTimeInterval(100), limit: 10, lease: .seconds(60))
        #expect(again.map(\.delivery.event.id) == [claimed.delivery.event.id])
        try await store.postponeDelivery(eventID: claimed.delivery.event.id, until: t0.addingTimeInterval(100), note: nil)
        delivery = try #require(try await store.delivery(merchantUID: merchant.uid, eventID: claimed.delivery.event.id))
        #expect(delivery.lastError == "endpoint paused")
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(100), limit: 10, lease: .seconds(60)).map(\.delivery.event.id) == [claimed.delivery.event.id])
    }

    static func attemptsAndDeliveriesAreRecorded(_ store: any GatewayStore) async throws {
        let (merchant, intents) = try await paidIntents(store, count: 3)
        let eventID = try #require(try await store.webhookEvents(orderID: intents[0].orderID).first?.id)
        _ = try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
        let failed = DeliveryAttempt(eventID: eventID, number: 1, startedAt: t0, url: "https://shop.example/notify", httpStatus: nil, latencyMilliseconds: 15_000, error: "no answer within 15 s")
        try await store.recordAttempt(failed, decision: .retry(at: t0.addingTimeInterval(5), error: "no answer within 15 s"))
        var delivery = try #require(try await store.delivery(merchantUID: merchant.uid, eventID: eventID))
        #expect(delivery.status == .pending && delivery.attemptCount == 1 && delivery.lastError == "no answer within 15 s")
        #expect(delivery.nextAttemptAt == t0.addingTimeInterval(5) && delivery.completedAt == nil)
        let succeeded = DeliveryAttempt(eventID: eventID, number: 2, startedAt: t0.addingTimeInterval(5), url: "https://shop.example/notify", httpStatus: 204, latencyMilliseconds: 3, error: nil)
        try await store.recordAttempt(succeeded, decision: .succeeded(at: t0.addingTimeInterval(5)))
        delivery = try #require(try await store.delivery(merchantUID: merchant.uid, eventID: eventID))
        #expect(delivery.status == .succeeded && delivery.attemptCount == 2 && delivery.lastError == nil)
        #expect(delivery.nextAttemptAt == nil && delivery.completedAt == t0.addingTimeInterval(5))
        #expect(try await store.attempts(eventID: eventID) == [failed, succeeded])

        // Another merchant sees nothing of it.
        let other = try await store.createMerchant(makeMerchant(name: "Other"))
        #expect(try await store.delivery(merchantUID: other.uid, eventID: eventID) == nil)
        #expect(try await store.deliveries(merchantUID: other.uid, filter: DeliveryFilter()).isEmpty)
        #expect(try await store.requeue(merchantUID: other.uid, eventID: eventID, now: t0) == nil)

        // Filters and paging.
        let all = try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter())
        #expect(all.map(\.event.orderID) == intents.map(\.orderID))
        #expect(try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(status: .succeeded)).map(\.event.id) == [eventID])
        #expect(try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(orderID: intents[1].orderID)).map(\.event.orderID) == [intents[1].orderID])
        let page = try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(limit: 2))
        #expect(page.count == 2)
        let rest = try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(after: page.last?.sequence, limit: 2))
        #expect(rest.map(\.event.orderID) == [intents[2].orderID])
        let created = try #require(all.first?.event.createdAt)
        #expect(try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(createdFrom: created.addingTimeInterval(1))).isEmpty)
        #expect(try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(createdTo: created)).isEmpty)
        #expect(try await store.deliveries(merchantUID: merchant.uid, filter: DeliveryFilter(createdFrom: created, createdTo: created.addingTimeInterval(0.001))).count == 3)

        // A replay: pending again, due now, the same webhook-id.
        let requeued = try #require(try await store.requeue(merchantUID: merchant.uid, eventID: eventID, now: t0.addingTimeInterval(100)))
        #expect(requeued.event.id == eventID && requeued.status == .pending && requeued.nextAttemptAt == t0.addingTimeInterval(100))
        #expect(requeued.completedAt == nil && requeued.attemptCount == 2)
    }

    static func noEndpointIsRecorded(_ store: any GatewayStore) async throws {
        var bare = makeMerchant(name: "No endpoint")
        bare.defaultNotifyURL = nil
        let merchant = try await store.createMerchant(bare)
        let intent = makeIntent(merchantUID: merchant.uid)
        var withoutURL = intent
        withoutURL.notifyURL = nil
        _ = try await store.insert(withoutURL)
        let event = try await appendEvent(store, orderID: intent.orderID, kind: .paymentSuccess, at: t0)
        let claimed = try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
        try #require(claimed.count == 1)
        #expect(claimed[0].url == nil)
        try await store.recordNoEndpoint(eventID: event.id, at: t0)
        let delivery = try #require(try await store.delivery(merchantUID: merchant.uid, eventID: event.id))
        #expect(delivery.status == .noEndpoint && delivery.completedAt == t0 && delivery.nextAttemptAt == nil)
        #expect(try await store.claimDueDeliveries(now: t0.addingTimeInterval(3600), limit: 10, lease: .seconds(60)).isEmpty)
    }

    static func outboxBacklogCountsWhatIsWaiting(_ store: any GatewayStore) async throws {
        #expect(try await store.outboxBacklog() == OutboxBacklog(pending: 0, oldestPendingCreatedAt: nil, failed: 0))
        let (merchant, intents) = try await paidIntents(store, count: 2)
        #expect(try await store.outboxBacklog() == OutboxBacklog(pending: 2, oldestPendingCreatedAt: t0, failed: 0))
        let events = try await store.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60)).map(\.delivery.event.id)
        try #require(events.count == 2)
        // A leased event is still pending: it is not delivered until a receiver says so.
        #expect(try await store.outboxBacklog().pending == 2)
        func attempt(_ eventID: String, error: String?) -> DeliveryAttempt {
            DeliveryAttempt(eventID: eventID, number: 1, startedAt: t0, url: "https://shop.example/notify", httpStatus: error == nil ? 200 : 500, latencyMilliseconds: 4, error: error)
        }
        try await store.recordAttempt(attempt(events[0], error: nil), decision: .succeeded(at: t0))
        try await store.recordAttempt(attempt(events[1], error: "receiver answered HTTP 500"), decision: .failed(at: t0, error: "receiver answered HTTP 500"))
        let later = t0.addingTimeInterval(90)
        _ = try await appendEvent(store, orderID: intents[0].orderID, kind: .refundSuccess, at: later)
        #expect(try await store.outboxBacklog() == OutboxBacklog(pending: 1, oldestPendingCreatedAt: later, failed: 1))
        // A replayed failure is pending again, and the oldest.
        _ = try await store.requeue(merchantUID: merchant.uid, eventID: events[1], now: later)
        #expect(try await store.outboxBacklog() == OutboxBacklog(pending: 2, oldestPendingCreatedAt: t0, failed: 0))
    }

    static func secretRotationAndDefaultURL(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let rotated = try #require(try await store.rotateWebhookSecret(uid: merchant.uid, newSecret: "whsec_new", previousValidUntil: t0))
        #expect(rotated.webhookSecret == "whsec_new")
        #expect(rotated.previousWebhookSecret == merchant.webhookSecret)
        #expect(rotated.previousWebhookSecretExpiresAt == t0)
        #expect(try await store.merchant(uid: merchant.uid) == rotated)
        let cleared = try #require(try await store.setDefaultNotifyURL(uid: merchant.uid, url: nil))
        #expect(cleared.defaultNotifyURL == nil)
        #expect(try await store.setDefaultNotifyURL(uid: merchant.uid, url: "https://new.example/h")?.defaultNotifyURL == "https://new.example/h")
        #expect(try await store.rotateWebhookSecret(uid: 1, newSecret: "x", previousValidUntil: t0) == nil)
        #expect(try await store.setDefaultNotifyURL(uid: 1, url: nil) == nil)
    }

    // MARK: Refunds

    static func makeRefund(_ intent: PaymentIntent, id: String, merchantRefundID: String, minorUnits: Int64, fingerprint: String = "rf") -> Refund {
        Refund(
            refundID: id, merchantUID: intent.merchantUID, orderID: intent.orderID, merchantRefundID: merchantRefundID,
            amount: Money(minorUnits: minorUnits, currency: intent.amount.currency), reason: "customer asked",
            createTime: t0, requestFingerprint: fingerprint
        )
    }

    static func refundsAreCheckedAndIdempotent(_ store: any GatewayStore) async throws {
        let (merchant, intents) = try await paidIntents(store, count: 1)
        let intent = intents[0]
        let first = makeRefund(intent, id: "R1", merchantRefundID: "MR-1", minorUnits: 1000)
        #expect(try await store.insertRefund(first) == .inserted(first))
        #expect(try await store.insertRefund(makeRefund(intent, id: "R1b", merchantRefundID: "MR-1", minorUnits: 1, fingerprint: "other")) == .existing(first))
        #expect(try await store.insertRefund(makeRefund(intent, id: "R2", merchantRefundID: "MR-2", minorUnits: 51)) == .exceedsRefundable(remainingMinorUnits: 50))
        #expect(try await store.refund(refundID: "R1") == first)
        #expect(try await store.refund(merchantUID: merchant.uid, refundID: "R1") == first)
        #expect(try await store.refund(merchantUID: merchant.uid, merchantRefundID: "MR-1") == first)
        #expect(try await store.refund(merchantUID: merchant.uid + 1, refundID: "R1") == nil)
        #expect(try await store.refund(refundID: "R404") == nil)

        // A failed refund gives its amount back; a succeeded one counts in refunded_minor and writes its webhook.
        let failed = try await store.transitionRefund(
            refundID: "R1", decide: { RefundStateMachine.transition($0, on: .providerFailed(code: "REFUND_FAIL", time: t0)) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: t0, timestamps: hongKongTime) }
        )
        guard case .applied(let failedRefund, let unchangedIntent, let failedEvent?) = failed else {
            Issue.record("expected an applied refund failure, got \(failed)"); return
        }
        #expect(failedRefund.status == .failed && failedRefund.failureCode == "REFUND_FAIL")
        #expect(unchangedIntent.refundedMinorUnits == 0 && failedEvent.kind == .refundFailed)
        let whole = makeRefund(intent, id: "R3", merchantRefundID: "MR-3", minorUnits: 1050)
        #expect(try await store.insertRefund(whole) == .inserted(whole))
        let succeeded = try await store.transitionRefund(
            refundID: "R3", decide: { RefundStateMachine.transition($0, on: .providerSucceeded(time: t0, providerRefundID: "PR-3")) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: t0, timestamps: hongKongTime) }
        )
        guard case .applied(let done, let refundedIntent, let event?) = succeeded else {
            Issue.record("expected an applied refund success, got \(succeeded)"); return
        }
        #expect(done.status == .succeeded && done.providerRefundID == "PR-3" && done.finishTime == t0)
        #expect(refundedIntent.refundedMinorUnits == 1050 && event.kind == .refundSuccess)
        #expect(try await store.intent(orderID: intent.orderID)?.refundedMinorUnits == 1050)
        #expect(try await store.webhookEvents(orderID: intent.orderID).map(\.kind) == [.paymentSuccess, .refundFailed, .refundSuccess])
        // Told again: nothing changes, nothing is written.
        let again = try await store.transitionRefund(
            refundID: "R3", decide: { RefundStateMachine.transition($0, on: .providerSucceeded(time: t0, providerRefundID: "PR-3")) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: t0, timestamps: hongKongTime) }
        )
        guard case .unchanged = again else { Issue.record("expected unchanged, got \(again)"); return }
        #expect(try await store.intent(orderID: intent.orderID)?.refundedMinorUnits == 1050)
        #expect(try await store.webhookEvents(orderID: intent.orderID).count == 3)
        let unknown = try await store.transitionRefund(refundID: "R404", decide: { _ in .ignore(reason: "") }, makeEvent: { _, _, _ in fatalError() })
        #expect(unknown == .notFound)
    }

    static func pendingIntentsAreNotRefundable(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        #expect(try await store.insertRefund(makeRefund(intent, id: "R1", merchantRefundID: "MR-1", minorUnits: 1)) == .notRefundable(.pending))
        #expect(try await store.refund(refundID: "R1") == nil)
    }

    static func racingRefundsNeverExceedTheAmount(_ store: any GatewayStore) async throws {
        let (_, intents) = try await paidIntents(store, count: 1)
        let intent = intents[0]
        // 20 refunds of 1.00 HKD race for 10.50 HKD: exactly 10 fit.
        let outcomes = try await withThrowingTaskGroup(of: RefundInsertOutcome.self) { group in
            for index in 0..<20 {
                group.addTask { try await store.insertRefund(makeRefund(intent, id: "R\(index)", merchantRefundID: "MR-\(index)", minorUnits: 100)) }
            }
            return try await group.reduce(into: [RefundInsertOutcome]()) { $0.append($1) }
        }
        let inserted = outcomes.filter { if case .inserted = $0 { true } else { false } }
        #expect(inserted.count == 10)
        #expect(outcomes.filter { $0 == .exceedsRefundable(remainingMinorUnits: 50) }.count == 10)
    }

    static func racingRefundRetriesMakeOneRefund(_ store: any GatewayStore) async throws {
        let (_, intents) = try await paidIntents(store, count: 1)
        let outcomes = try await withThrowingTaskGroup(of: RefundInsertOutcome.self) { group in
            for index in 0..<10 {
                group.addTask { try await store.insertRefund(makeRefund(intents[0], id: "R\(index)", merchantRefundID: "MR-SAME", minorUnits: 600)) }
            }
            return try await group.reduce(into: [RefundInsertOutcome]()) { $0.append($1) }
        }
        var winners: [Refund] = []
        var existing: [Refund] = []
        for outcome in outcomes {
            switch outcome {
            case .inserted(let refund): winners.append(refund)
            case .existing(let refund): existing.append(refund)
            default: Issue.record("unexpected \(outcome)")
            }
        }
        #expect(winners.count == 1)
        #expect(existing.count == 9 && existing.allSatisfy { $0 == winners.first })
    }

    // MARK: Reconciliation schedule

    static func intentChecksAreLeasedAndRescheduled(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        var intents: [PaymentIntent] = []
        for index in 0..<3 {
            var intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "CHK-\(index)", orderID: "C\(1_700_000_000_000 + index)")
            intent.firstCheckAt = t0.addingTimeInterval(Double(2 - index))
            _ = try await store.insert(intent)
            intents.append(intent)
        }
        // A final intent is never checked.
        _ = try await store.transition(
            orderID: intents[0].orderID, decide: { PaymentStateMachine.transition($0, on: .providerFailed(code: "ORDER_IS_CLOSED")) },
            makeEvent: makeWebhook
        )
        #expect(try await store.claimDueIntentChecks(now: t0.addingTimeInterval(-1), limit: 10, lease: .seconds(60)).isEmpty)
        let due = try await store.claimDueIntentChecks(now: t0.addingTimeInterval(2), limit: 10, lease: .seconds(60))
        // Most overdue first.
        #expect(due.map(\.item.orderID) == [intents[2].orderID, intents[1].orderID])
        #expect(due.map(\.checks) == [0, 0])
        var expected = intents[2]
        expected.firstCheckAt = nil
        #expect(due.first?.item == expected)
        // Leased: not due again until the lease ends.
        #expect(try await store.claimDueIntentChecks(now: t0.addingTimeInterval(61), limit: 10, lease: .seconds(60)).isEmpty)
        #expect(try await store.claimDueIntentChecks(now: t0.addingTimeInterval(62), limit: 10, lease: .seconds(60)).count == 2)
        try await store.scheduleIntentCheck(orderID: intents[1].orderID, at: t0.addingTimeInterval(200), checks: 4)
        try await store.scheduleIntentCheck(orderID: intents[2].orderID, at: t0.addingTimeInterval(300), checks: 5)
        try await store.scheduleIntentCheck(orderID: intents[0].orderID, at: t0, checks: 9)
        let later = try await store.claimDueIntentChecks(now: t0.addingTimeInterval(200), limit: 10, lease: .seconds(60))
        #expect(later.map(\.item.orderID) == [intents[1].orderID])
        #expect(later.map(\.checks) == [4])
    }

    static func refundChecksAreLeasedAndRescheduled(_ store: any GatewayStore) async throws {
        let (_, intents) = try await paidIntents(store, count: 1)
        var refund = makeRefund(intents[0], id: "R1", merchantRefundID: "MR-1", minorUnits: 100)
        refund.firstCheckAt = t0.addingTimeInterval(5)
        _ = try await store.insertRefund(refund)
        // First due at the time the service chose (read back without it: it is only a schedule).
        #expect(try await store.claimDueRefundChecks(now: t0.addingTimeInterval(4.999), limit: 10, lease: .seconds(60)).isEmpty)
        let due = try await store.claimDueRefundChecks(now: t0.addingTimeInterval(5), limit: 10, lease: .seconds(60))
        refund.firstCheckAt = nil
        #expect(due == [DueCheck(item: refund, checks: 0)])
        #expect(try await store.claimDueRefundChecks(now: t0.addingTimeInterval(64), limit: 10, lease: .seconds(60)).isEmpty)
        try await store.scheduleRefundCheck(refundID: "R1", at: t0.addingTimeInterval(10), checks: 1)
        #expect(try await store.claimDueRefundChecks(now: t0.addingTimeInterval(10), limit: 10, lease: .seconds(60)).map(\.checks) == [1])
        _ = try await store.transitionRefund(
            refundID: "R1", decide: { RefundStateMachine.transition($0, on: .providerSucceeded(time: t0, providerRefundID: nil)) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: t0, timestamps: hongKongTime) }
        )
        try await store.scheduleRefundCheck(refundID: "R1", at: t0, checks: 2)
        #expect(try await store.claimDueRefundChecks(now: t0.addingTimeInterval(1000), limit: 10, lease: .seconds(60)).isEmpty)
    }

    static func racingClaimersNeverShareWork(_ store: any GatewayStore) async throws {
        _ = try await paidIntents(store, count: 30)
        var claims: [String] = []
        // Rounds of 6 racing claimers until nothing is left: every delivery handed out exactly once.
        for _ in 0..<10 {
            let round = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 {
                    group.addTask { try await store.claimDueDeliveries(now: t0, limit: 3, lease: .seconds(60)).map(\.delivery.event.id) }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            if round.isEmpty { break }
            claims += round
        }
        #expect(claims.count == 30)
        #expect(Set(claims).count == claims.count)
    }
}

/// One check of the store contract, as a test argument: every engine's suite runs the same list.
struct ContractCheck: Sendable, CustomTestStringConvertible {
    let name: String
    let run: @Sendable (any StoreHarness) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (any StoreHarness) async throws -> Void) {
        self.name = name
        self.run = run
    }

    var testDescription: String { name }
}

extension StoreContract {
    /// Every check, for every engine (`SQLiteStoreContractTests`, `PostgresStoreContractTests`).
    static let checks: [ContractCheck] = [
        ContractCheck("createMerchant assigns increasing uids from 12009321") { try await merchantUIDsIncreaseFrom12009321($0.store) },
        ContractCheck("merchants are found by client id and uid; merchantCount counts them") { try await merchantLookups($0.store) },
        ContractCheck("client ids are unique") { try await clientIDIsUnique($0.store) },
        ContractCheck("webhook secret rotation and the default notify URL") { try await secretRotationAndDefaultURL($0.store) },
        ContractCheck("secret(named:orCreate:) creates once and keeps the bytes across a restart") { harness in
            try await secretIsCreatedOnceAndKept(harness)
        },
        ContractCheck("racing secret creators all get the same bytes") { try await racingSecretCreatorsAgree($0.store) },
        ContractCheck("insert: inserted, then existing for the same merchant_order_id; another merchant may reuse it") {
            try await insertIsIdempotentPerMerchant($0.store)
        },
        ContractCheck("insertAll inserts in one go what is new and skips taken merchant_order_ids") {
            try await insertAllSkipsTakenOrderIDs($0.store)
        },
        ContractCheck("racing inserts of one merchant_order_id make exactly one intent") { try await racingInsertsMakeOneIntent($0.store) },
        ContractCheck("every PaymentIntent field round-trips") { try await intentRoundTripsEveryField($0.store) },
        ContractCheck("dates are kept to the millisecond") { try await datesKeepMilliseconds($0.store) },
        ContractCheck("lookups by merchant see only that merchant's intents") { try await lookupsAreScopedToTheMerchant($0.store) },
        ContractCheck("an applied transition writes exactly one webhook event; an ignored one writes none") {
            try await appliedTransitionWritesOneEvent($0.store)
        },
        ContractCheck("a transition without notification writes no webhook event") {
            try await transitionsWithoutNotificationWriteNoEvent($0.store)
        },
        ContractCheck("a conflicting transition changes nothing and writes nothing") { try await conflictingTransitionChangesNothing($0.store) },
        ContractCheck("a cancelled intent with a WAP link is watched until stopped; a payment after the cancel is refundable") {
            try await cancelledIntentWithLinkIsWatched($0.store)
        },
        ContractCheck("a transition of an unknown intent is notFound") { try await transitionOfUnknownIntent($0.store) },
        ContractCheck("the outbox keeps an intent's events in order") { try await outboxKeepsOrderPerIntent($0.store) },
        ContractCheck("racing transitions apply once and write one webhook") { try await racingTransitionsApplyOnce($0.store) },
        ContractCheck("a claimed delivery is leased until the lease ends") { try await claimLeasesUntilTheLeaseEnds($0.store) },
        ContractCheck("releaseAllLeases frees leases only where they are this process's own") {
            try await releaseAllLeasesFollowsTheCapability($0.store)
        },
        ContractCheck("claims: limit, oldest first, one per intent, an intent's events in order") {
            try await claimsRespectLimitAgeAndPerIntentOrder($0.store)
        },
        ContractCheck("claims: merchants take turns, within their room and their target URLs' room") {
            try await claimsAreFairAcrossMerchantsAndURLs($0.store)
        },
        ContractCheck("a postponed delivery keeps its attempt count and its intent's order") {
            try await postponedDeliveriesKeepTheirAttemptsAndOrder($0.store)
        },
        ContractCheck("attempts, delivery state, filters, paging and requeue") { try await attemptsAndDeliveriesAreRecorded($0.store) },
        ContractCheck("a delivery with no endpoint is recorded as no_endpoint") { try await noEndpointIsRecorded($0.store) },
        ContractCheck("outboxBacklog counts pending and failed events and dates the oldest pending one") {
            try await outboxBacklogCountsWhatIsWaiting($0.store)
        },
        ContractCheck("refunds: idempotent, within the amount, transitions with refunded amount and webhooks") {
            try await refundsAreCheckedAndIdempotent($0.store)
        },
        ContractCheck("a PENDING intent is not refundable") { try await pendingIntentsAreNotRefundable($0.store) },
        ContractCheck("racing refunds never exceed the intent's amount") { try await racingRefundsNeverExceedTheAmount($0.store) },
        ContractCheck("racing retries of one merchant_refund_id make one refund") { try await racingRefundRetriesMakeOneRefund($0.store) },
        ContractCheck("intent checks are leased, ordered and rescheduled") { try await intentChecksAreLeasedAndRescheduled($0.store) },
        ContractCheck("refund checks are leased and rescheduled") { try await refundChecksAreLeasedAndRescheduled($0.store) },
        ContractCheck("racing claimers never get the same delivery") { try await racingClaimersNeverShareWork($0.store) },
    ] + consoleChecks + operationsChecks + settlementChecks
}
