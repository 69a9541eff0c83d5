import Foundation
import ShroffCore
import Synchronization
import Testing

/// The behaviour every gateway store must have, whatever its database. Each check takes a fresh,
/// empty store (or a harness when it needs a restart); `SQLiteStoreContractTests` runs them on SQLite,
/// and a PostgreSQL store's suite can run the same list.
enum StoreContract {
    // MARK: Merchants

    static func merchantUIDsIncreaseFrom12009321(_ store: any GatewayStore) async throws {
        #expect(try await store.merchantCount() == 0)
        let first = try await store.createMerchant(makeMerchant(name: "First"))
        let second = try await store.createMerchant(makeMerchant(name: "Second"))
        let third = try await store.createMerchant(makeMerchant(name: "Third"))
        #expect(first.uid == 12_009_321)
        #expect(second.uid == 12_009_322)
        #expect(third.uid == 12_009_323)
        #expect(try await store.merchantCount() == 3)
    }

    static func merchantLookups(_ store: any GatewayStore) async throws {
        let created = try await store.createMerchant(makeMerchant(name: "Lookup", clientID: "mch_lookup", h5Domain: "shop.example"))
        var bare = makeMerchant(name: "Bare", clientID: "mch_bare", h5Domain: nil)
        bare.defaultNotifyURL = nil
        bare.defaultSettlementCurrency = "SGD"
        let other = try await store.createMerchant(bare)

        #expect(try await store.merchant(clientID: "mch_lookup") == created)
        #expect(try await store.merchant(uid: created.uid) == created)
        #expect(try await store.merchant(clientID: "mch_bare") == other)
        #expect(try await store.merchant(uid: other.uid) == other)
        #expect(try await store.merchant(uid: other.uid)?.h5Domain == nil)
        #expect(try await store.merchant(uid: other.uid)?.defaultNotifyURL == nil)
        #expect(try await store.merchant(uid: other.uid)?.defaultSettlementCurrency == "SGD")
        #expect(try await store.merchant(uid: created.uid)?.defaultSettlementCurrency == "HKD")
        // Every field as given, the uid as assigned.
        var expected = makeMerchant(name: "Lookup", clientID: "mch_lookup", h5Domain: "shop.example")
        expected.uid = created.uid
        #expect(created == expected)

        #expect(try await store.merchant(clientID: "mch_nobody") == nil)
        #expect(try await store.merchant(uid: 1) == nil)
        #expect(try await store.merchantCount() == 2)
    }

    static func clientIDIsUnique(_ store: any GatewayStore) async throws {
        _ = try await store.createMerchant(makeMerchant(clientID: "mch_same"))
        await #expect(throws: (any Error).self) {
            _ = try await store.createMerchant(makeMerchant(name: "Impostor", clientID: "mch_same"))
        }
        #expect(try await store.merchantCount() == 1)
        #expect(try await store.merchant(clientID: "mch_same")?.name == "Shop")
    }

    // MARK: Secrets

    static func secretIsCreatedOnceAndKept<Harness: StoreHarness>(_ harness: Harness) async throws {
        let made = Mutex(0)
        let first = try await harness.store.secret(named: "token-signing-key") {
            made.withLock { $0 += 1 }
            return Array(repeating: 7, count: 32)
        }
        #expect(first == Array(repeating: 7, count: 32))
        let second = try await harness.store.secret(named: "token-signing-key") {
            made.withLock { $0 += 1 }
            return Array(repeating: 9, count: 32)
        }
        #expect(second == first)
        #expect(made.withLock { $0 } == 1)

        let other = try await harness.store.secret(named: "another-key") { [1, 2, 3] }
        #expect(other == [1, 2, 3])

        let restarted = try await harness.reopened()
        let afterRestart = try await restarted.store.secret(named: "token-signing-key") { Array(repeating: 5, count: 32) }
        #expect(afterRestart == first)
        #expect(try await restarted.store.secret(named: "another-key") { [] } == [1, 2, 3])
        try await restarted.tearDown()
    }

    static func racingSecretCreatorsAgree(_ store: any GatewayStore) async throws {
        let values = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<20 {
                group.addTask { try await store.secret(named: "raced") { Array(repeating: UInt8(index), count: 16) } }
            }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(values.count == 20)
        #expect(Set(values).count == 1)
        #expect(try await store.secret(named: "raced") { [] } == values[0])
    }

    // MARK: Payment intents

    static func insertIsIdempotentPerMerchant(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let otherMerchant = try await store.createMerchant(makeMerchant(name: "Other"))
        let intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "P1")
        #expect(try await store.insert(intent) == .inserted(intent))

        // Same merchant and merchant_order_id: the stored intent is answered, the candidate dropped.
        let retry = makeIntent(merchantUID: merchant.uid, merchantOrderID: "P1", amount: Money(minorUnits: 1, currency: Currency(code: "USD")!), fingerprint: "other")
        #expect(try await store.insert(retry) == .existing(intent))
        #expect(try await store.intent(orderID: retry.orderID) == nil)

        // Another merchant may use the same merchant_order_id.
        let theirs = makeIntent(merchantUID: otherMerchant.uid, merchantOrderID: "P1")
        #expect(try await store.insert(theirs) == .inserted(theirs))
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: "P1") == intent)
        #expect(try await store.intent(merchantUID: otherMerchant.uid, merchantOrderID: "P1") == theirs)
    }

    static func insertAllSkipsTakenOrderIDs(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let taken = makeIntent(merchantUID: merchant.uid, merchantOrderID: "BULK-1")
        #expect(try await store.insert(taken) == .inserted(taken))
        let batch = (1...50).map { makeIntent(merchantUID: merchant.uid, merchantOrderID: "BULK-\($0)") }
        func event(_ intent: PaymentIntent, _ kind: WebhookEvent.Kind) -> WebhookEvent {
            WebhookEvent(id: Identifier.webhookEvent(), merchantUID: merchant.uid, orderID: intent.orderID, kind: kind, body: "{}", createdAt: Date(), notifyURL: nil)
        }
        let events = [event(batch[0], .paymentSuccess), event(batch[49], .paymentSuccess), event(batch[49], .refundSuccess)]
        #expect(try await store.insertAll(batch, events: events) == 49)
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: "BULK-1") == taken)
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: "BULK-50") == batch[49])
        // The events of an intent that was not new are not written; the others' are, in order.
        #expect(try await store.webhookEvents(orderID: taken.orderID).isEmpty)
        #expect(try await store.webhookEvents(orderID: batch[49].orderID).map(\.kind) == [.paymentSuccess, .refundSuccess])
        #expect(try await store.insertAll(batch, events: []) == 0)
    }

    static func racingInsertsMakeOneIntent(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
            for _ in 0..<20 {
                group.addTask { try await store.insert(makeIntent(merchantUID: merchant.uid, merchantOrderID: "RACE-1")) }
            }
            return try await group.reduce(into: [InsertOutcome]()) { $0.append($1) }
        }
        var inserted: [PaymentIntent] = []
        var existing: [PaymentIntent] = []
        for outcome in outcomes {
            switch outcome {
            case .inserted(let intent): inserted.append(intent)
            case .existing(let intent): existing.append(intent)
            }
        }
        #expect(inserted.count == 1)
        #expect(existing.count == 19)
        let winner = try #require(inserted.first)
        #expect(existing.allSatisfy { $0 == winner })
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: "RACE-1") == winner)
    }

    static func intentRoundTripsEveryField(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let full = PaymentIntent(
            orderID: "C1700000000456123456789012", merchantUID: merchant.uid, merchantOrderID: "Order-2024_09",
            amount: Money(minorUnits: 99_999_999_999_999, currency: Currency(code: "HKD")!), description: "Ünïcode 描述 \"quoted\"",
            notifyURL: "https://shop.example/notify?x=1&y=2", returnURL: "https://m.shop.example/back",
            method: PaymentMethodSpec(
                channel: .aplus, flow: .cashier, wallet: "TRUEMONEY", presentmentMode: "TILE", terminalType: "APP",
                osType: "ANDROID", settlementCurrency: "USD"
            ),
            status: .succeeded, nextAction: NextAction(
                type: .renderQRCode, url: "https://qr.example/code?c=1", codeType: "BARCODE", displayType: "SMALLIMAGE"
            ),
            createTime: millisDate(1_700_000_000_456), expiresAt: millisDate(1_700_086_400_456), payTime: millisDate(1_700_000_123_999),
            providerPaymentID: "2023083100000001", walletUsed: "TRUEMONEY", settleCurrency: "USD", failureCode: "NONE",
            refundedMinorUnits: 250, requestFingerprint: String(repeating: "f", count: 64),
            tradeLinkClosesAt: millisDate(1_700_000_900_456), latePaymentTime: millisDate(1_700_000_950_001)
        )
        #expect(try await store.insert(full) == .inserted(full))
        #expect(try await store.intent(orderID: full.orderID) == full)
        #expect(try await store.intent(merchantUID: merchant.uid, orderID: full.orderID) == full)
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: full.merchantOrderID) == full)

        // The other optionals empty, the other currencies' exponents, the other channel.
        let bare = PaymentIntent(
            orderID: "C1700000000456000000000001", merchantUID: merchant.uid, merchantOrderID: "P2",
            amount: Money(minorUnits: 1234, currency: Currency(code: "BHD")!), description: "x", notifyURL: nil, returnURL: nil,
            method: PaymentMethodSpec(channel: .alipayhk, flow: .mobileWeb, wallet: "ALIPAYHK"),
            createTime: millisDate(1_700_000_000_001), expiresAt: millisDate(1_700_000_060_001), requestFingerprint: "fp"
        )
        #expect(try await store.insert(bare) == .inserted(bare))
        let read = try #require(try await store.intent(orderID: bare.orderID))
        #expect(read == bare)
        #expect(read.amount.currency.exponent == 3)
        #expect(read.nextAction == nil && read.payTime == nil && read.notifyURL == nil)

        let won = makeIntent(merchantUID: merchant.uid, merchantOrderID: "P3", amount: Money(minorUnits: 50000, currency: Currency(code: "KRW")!))
        _ = try await store.insert(won)
        #expect(try await store.intent(orderID: won.orderID)?.amount == Money(minorUnits: 50000, currency: Currency(code: "KRW")!))
    }

    static func datesKeepMilliseconds(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        var intent = makeIntent(merchantUID: merchant.uid)
        intent.createTime = Date(timeIntervalSince1970: 1_700_000_000.123_4)
        intent.expiresAt = Date(timeIntervalSince1970: 1_700_001_800.987_6)
        _ = try await store.insert(intent)
        let read = try #require(try await store.intent(orderID: intent.orderID))
        #expect(millis(read.createTime) == 1_700_000_000_123)
        #expect(millis(read.expiresAt) == 1_700_001_800_988)
        #expect(abs(read.createTime.timeIntervalSince(intent.createTime)) < 0.001)
    }

    static func lookupsAreScopedToTheMerchant(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let other = try await store.createMerchant(makeMerchant(name: "Other"))
        let intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "P1")
        _ = try await store.insert(intent)
        #expect(try await store.intent(merchantUID: other.uid, orderID: intent.orderID) == nil)
        #expect(try await store.intent(merchantUID: other.uid, merchantOrderID: "P1") == nil)
        #expect(try await store.intent(orderID: "C0") == nil)
        #expect(try await store.intent(merchantUID: merchant.uid, merchantOrderID: "P404") == nil)
    }

    // MARK: Transitions and the webhook outbox

    static func appliedTransitionWritesOneEvent(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        let paid = PaymentEvent.providerSucceeded(payTime: millisDate(1_700_000_050_000), wallet: "ALIPAY_HK", settleCurrency: "HKD")

        let outcome = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: paid) }, makeEvent: makeWebhook
        )
        guard case .applied(let next, let event?) = outcome else {
            Issue.record("expected an applied transition with a webhook, got \(outcome)"); return
        }
        #expect(next.status == .succeeded)
        #expect(event.kind == .paymentSuccess)
        #expect(event.orderID == intent.orderID)
        #expect(try await store.intent(orderID: intent.orderID) == next)
        #expect(try await store.webhookEvents(orderID: intent.orderID) == [event])

        // The same news again changes nothing and writes nothing.
        let again = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: paid) }, makeEvent: makeWebhook
        )
        guard case .unchanged(let current, .ignore) = again else {
            Issue.record("expected an ignored transition, got \(again)"); return
        }
        #expect(current == next)
        #expect(try await store.webhookEvents(orderID: intent.orderID) == [event])
    }

    static func transitionsWithoutNotificationWriteNoEvent(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        let action = NextAction(type: .redirect, url: "https://cashier.example/pay", method: "POST", formFields: ["a": "1", "b": "2 3"])
        let awaiting = PaymentEvent.providerAwaitingShopper(action, providerPaymentID: "P-1")

        let first = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: awaiting) }, makeEvent: makeWebhook
        )
        guard case .applied(let next, nil) = first else {
            Issue.record("expected applied without webhook, got \(first)"); return
        }
        #expect(next.nextAction == action)
        #expect(try await store.intent(orderID: intent.orderID)?.nextAction == action)
        #expect(try await store.intent(orderID: intent.orderID)?.providerPaymentID == "P-1")

        let second = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: awaiting) }, makeEvent: makeWebhook
        )
        guard case .unchanged(_, .ignore) = second else {
            Issue.record("expected ignored, got \(second)"); return
        }
        #expect(try await store.webhookEvents(orderID: intent.orderID).isEmpty)
    }

    static func conflictingTransitionChangesNothing(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        _ = try await store.transition(
            orderID: intent.orderID,
            decide: { PaymentStateMachine.transition($0, on: .providerSucceeded(payTime: Date(), wallet: nil, settleCurrency: nil)) },
            makeEvent: makeWebhook
        )
        let paid = try #require(try await store.intent(orderID: intent.orderID))
        #expect(paid.status == .succeeded)
        let cancel = PaymentEvent.cancelConfirmed(reason: "MERCHANT_CANCELLED")
        let outcome = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: cancel) }, makeEvent: makeWebhook
        )
        guard case .unchanged(_, .conflict) = outcome else {
            Issue.record("expected a conflict, got \(outcome)"); return
        }
        #expect(try await store.intent(orderID: intent.orderID) == paid)
        #expect(try await store.webhookEvents(orderID: intent.orderID).map(\.kind) == [.paymentSuccess])
    }

    /// A cancelled intent with an issued WAP link is watched (claimed for checks) until stopped; a
    /// payment recorded after the cancel makes it refundable, and schedules its backup check.
    static func cancelledIntentWithLinkIsWatched(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        // Leave the creation's own check out of the way.
        _ = try await store.claimDueIntentChecks(now: intent.createTime, limit: 10, lease: .seconds(3600 * 24 * 365))
        let closesAt = intent.expiresAt.addingTimeInterval(-600)
        _ = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: .tradeLinkIssued(at: intent.createTime, closesAt: closesAt)) },
            makeEvent: makeWebhook
        )
        #expect(try await store.intent(orderID: intent.orderID)?.tradeLinkClosesAt == closesAt)
        _ = try await store.transition(
            orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: .cancelConfirmed(reason: "MERCHANT_CANCELLED")) },
            makeEvent: makeWebhook
        )
        let soon = Date().addingTimeInterval(1)
        let watched = try await store.claimDueIntentChecks(now: soon, limit: 10, lease: .seconds(60))
        #expect(watched.map(\.item.orderID) == [intent.orderID])
        #expect(watched.first?.item.status == .cancelled)
        try await store.scheduleIntentCheck(orderID: intent.orderID, at: soon, checks: 2)
        #expect(try await store.claimDueIntentChecks(now: soon, limit: 10, lease: .seconds(60)).map(\.checks) == [2])

        #expect(try await store.insertRefund(makeRefund(intent, id: "R-late-1", merchantRefundID: "auto:\(intent.orderID)", minorUnits: intent.amount.minorUnits)) == .notRefundable(.cancelled))
        let payTime = millisDate(1_700_000_100_000)
        let outcome = try await store.transition(
            orderID: intent.orderID,
            decide: { PaymentStateMachine.transition($0, on: .providerSucceeded(payTime: payTime, wallet: nil, settleCurrency: nil)) },
            makeEvent: makeWebhook
        )
        guard case .applied(let late, nil) = outcome else { Issue.record("expected applied without webhook, got \(outcome)"); return }
        #expect(late.status == .cancelled && late.latePaymentTime == payTime)
        #expect(try await store.intent(orderID: intent.orderID) == late)
        let backup = soon.addingTimeInterval(ProviderCheckChange.latePaymentBackupDelay + 5)
        #expect(try await store.claimDueIntentChecks(now: backup, limit: 10, lease: .seconds(60)).map(\.item.orderID) == [intent.orderID])
        guard case .inserted = try await store.insertRefund(makeRefund(intent, id: "R-late-1", merchantRefundID: "auto:\(intent.orderID)", minorUnits: intent.amount.minorUnits)) else {
            Issue.record("a payment made after the cancel must be refundable"); return
        }
        try await store.stopIntentChecks(orderID: intent.orderID)
        try await store.scheduleIntentCheck(orderID: intent.orderID, at: backup, checks: 3)
        #expect(try await store.claimDueIntentChecks(now: backup.addingTimeInterval(86400 * 365), limit: 10, lease: .seconds(60)).isEmpty)
        #expect(try await store.webhookEvents(orderID: intent.orderID).map(\.kind) == [.paymentCancelled])
    }

    static func transitionOfUnknownIntent(_ store: any GatewayStore) async throws {
        let outcome = try await store.transition(
            orderID: "C404", decide: { _ in Issue.record("decide called for a missing intent"); return .ignore(reason: "") },
            makeEvent: makeWebhook
        )
        #expect(outcome == .notFound)
        #expect(try await store.webhookEvents(orderID: "C404").isEmpty)
    }

    static func outboxKeepsOrderPerIntent(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        let neighbour = makeIntent(merchantUID: merchant.uid, merchantOrderID: "P-neighbour")
        _ = try await store.insert(intent)
        _ = try await store.insert(neighbour)
        // Three changes that each cause a webhook (the store does not judge the decision; the state machine does).
        var written: [WebhookEvent] = []
        for (index, kind) in [WebhookEvent.Kind.paymentCancelled, .paymentSuccess, .paymentCancelled].enumerated() {
            let outcome = try await store.transition(
                orderID: intent.orderID,
                decide: { current in
                    var next = current
                    next.refundedMinorUnits = Int64(index + 1)
                    return .apply(next, notification: kind)
                },
                makeEvent: makeWebhook
            )
            guard case .applied(_, let event?) = outcome else { Issue.record("not applied: \(outcome)"); return }
            written.append(event)
        }
        #expect(try await store.webhookEvents(orderID: intent.orderID) == written)
        #expect(try await store.webhookEvents(orderID: neighbour.orderID).isEmpty)
        #expect(try await store.intent(orderID: intent.orderID)?.refundedMinorUnits == 3)
    }

    static func racingTransitionsApplyOnce(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let intent = makeIntent(merchantUID: merchant.uid)
        _ = try await store.insert(intent)
        let paid = PaymentEvent.providerSucceeded(payTime: millisDate(1_700_000_050_000), wallet: nil, settleCurrency: nil)
        let applied = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    let outcome = try await store.transition(
                        orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: paid) }, makeEvent: makeWebhook
                    )
                    if case .applied = outcome { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(applied == 1)
        #expect(try await store.webhookEvents(orderID: intent.orderID).count == 1)
    }

    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
