import Foundation
import ShroffCore
import Testing

/// The consoles' part of the store (sessions, the payment list, tallies, merchants, backlog), on both engines.
extension StoreContract {
    static let consoleChecks: [ContractCheck] = [
        ContractCheck("console sessions: found by hash until they expire, deleted on sign-out, swept when expired") {
            try await consoleSessions($0.store)
        },
        ContractCheck("the payment list: newest first, keyset pages, search, status, flow and date filters, one merchant's") {
            try await paymentListPagesAndFilters($0.store)
        },
        ContractCheck("tallies, refunds by intent, disabled merchants and the outbox backlog per merchant") {
            try await talliesAndOperatorViews($0.store)
        },
        ContractCheck("provider activity: an intent's calls and notifications in order, refused notifications newest first") {
            try await providerActivityIsRecorded($0.store)
        },
    ]

    static func providerActivityIsRecorded(_ store: any GatewayStore) async throws {
        let time = millisDate(1_700_000_000_123)
        let call = ProviderActivity(
            orderID: "C1", time: time, kind: .call, provider: "alipayplus_ams", operation: "pay", outcome: "rejected",
            latencyMilliseconds: 42, resultCode: "USER_BALANCE_NOT_ENOUGH"
        )
        let notification = ProviderActivity(
            orderID: "C1", time: time.addingTimeInterval(1), kind: .notification, provider: "alipayplus_ams", operation: "PAYMENT_RESULT",
            outcome: "applied"
        )
        let forged = ProviderActivity(
            orderID: nil, time: time, kind: .notification, provider: "alipayplus_ams", operation: "notification", outcome: "refused",
            detail: "signature does not verify"
        )
        let other = ProviderActivity(orderID: "C2", time: time, kind: .call, provider: "alipayhk_wap", operation: "cancel", outcome: "unavailable")
        for activity in [call, forged, notification, other] { try await store.record(activity) }
        #expect(try await store.providerActivity(orderID: "C1", limit: 10) == [call, notification])
        #expect(try await store.providerActivity(orderID: "C1", limit: 1) == [call])
        #expect(try await store.refusedNotifications(limit: 5) == [forged])
    }

    static func consoleSessions(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let now = millisDate(1_700_000_000_000)
        let live = ConsoleSession(
            tokenHash: ConsoleSession.hash(token: "a"), kind: .merchant, merchantUID: merchant.uid, csrfToken: "csrf-a",
            createdAt: now, expiresAt: now.addingTimeInterval(3600)
        )
        let old = ConsoleSession(
            tokenHash: ConsoleSession.hash(token: "b"), kind: .operator, merchantUID: nil, csrfToken: "csrf-b",
            createdAt: now.addingTimeInterval(-7200), expiresAt: now.addingTimeInterval(-1)
        )
        try await store.createSession(live)
        try await store.createSession(old)
        #expect(try await store.session(tokenHash: live.tokenHash, now: now) == live)
        #expect(try await store.session(tokenHash: old.tokenHash, now: now) == nil)
        #expect(try await store.session(tokenHash: live.tokenHash, now: now.addingTimeInterval(3600)) == nil)
        #expect(try await store.deleteExpiredSessions(now: now) == 1)
        #expect(try await store.session(tokenHash: old.tokenHash, now: now.addingTimeInterval(-3600)) == nil)
        try await store.deleteSession(tokenHash: live.tokenHash)
        #expect(try await store.session(tokenHash: live.tokenHash, now: now) == nil)
    }

    static func paymentListPagesAndFilters(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let other = try await store.createMerchant(makeMerchant(name: "Other"))
        let base = millisDate(1_700_000_000_000)
        for index in 0..<7 {
            var intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "M\(index)", orderID: "C\(index)", fingerprint: "f\(index)")
            // Two share a create time: the order id breaks the tie.
            intent.createTime = base.addingTimeInterval(TimeInterval(min(index, 5) * 60))
            if index % 2 == 1 { intent.method = PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK") }
            if index == 3 { intent.status = .succeeded }
            _ = try await store.insert(intent)
        }
        _ = try await store.insert(makeIntent(merchantUID: other.uid, merchantOrderID: "M0", orderID: "COTHER"))

        func ids(_ filter: PaymentListFilter) async throws -> [String] {
            try await store.intents(merchantUID: merchant.uid, filter: filter).map(\.orderID)
        }
        #expect(try await ids(PaymentListFilter()) == ["C6", "C5", "C4", "C3", "C2", "C1", "C0"])
        let first = try await store.intents(merchantUID: merchant.uid, filter: PaymentListFilter(limit: 2))
        #expect(first.map(\.orderID) == ["C6", "C5"])
        let cursor = PaymentListCursor(createTime: first[1].createTime, orderID: first[1].orderID)
        #expect(PaymentListCursor(text: cursor.text) == cursor)
        #expect(try await ids(PaymentListFilter(before: cursor, limit: 3)) == ["C4", "C3", "C2"])
        #expect(try await ids(PaymentListFilter(search: "M2")) == ["C2"])
        #expect(try await ids(PaymentListFilter(search: "C4")) == ["C4"])
        #expect(try await ids(PaymentListFilter(search: "COTHER")).isEmpty)
        #expect(try await ids(PaymentListFilter(status: .succeeded)) == ["C3"])
        #expect(try await ids(PaymentListFilter(flow: .csbQRCode)) == ["C5", "C3", "C1"])
        #expect(try await ids(PaymentListFilter(flow: .mobileWeb)).isEmpty)
        #expect(try await ids(PaymentListFilter(createdFrom: base.addingTimeInterval(60), createdTo: base.addingTimeInterval(180))) == ["C2", "C1"])
    }

    static func talliesAndOperatorViews(_ store: any GatewayStore) async throws {
        let merchant = try await store.createMerchant(makeMerchant())
        let base = millisDate(1_700_000_000_000)
        for index in 0..<4 {
            var intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "M\(index)", orderID: "C\(index)", fingerprint: "f\(index)")
            intent.createTime = base.addingTimeInterval(TimeInterval(index))
            intent.status = index < 3 ? .succeeded : .pending
            if index == 0 { intent.refundedMinorUnits = 50 }
            _ = try await store.insert(intent)
        }
        let tallies = try await store.tallies(merchantUID: merchant.uid, from: base, to: base.addingTimeInterval(60))
        #expect(tallies == [
            PaymentTally(status: .pending, flow: .cashier, currency: "HKD", count: 1, amountMinorUnits: 1050, refundedMinorUnits: 0),
            PaymentTally(status: .succeeded, flow: .cashier, currency: "HKD", count: 3, amountMinorUnits: 3150, refundedMinorUnits: 50),
        ])
        #expect(try await store.tallies(merchantUID: merchant.uid, from: base.addingTimeInterval(60), to: base.addingTimeInterval(120)).isEmpty)
        #expect(try await store.refunds(merchantUID: merchant.uid, orderID: "C0").isEmpty)

        let disabled = try #require(try await store.setMerchantDisabled(uid: merchant.uid, at: base))
        #expect(disabled.isDisabled && disabled.disabledAt == base)
        #expect(try await store.merchant(uid: merchant.uid)?.isDisabled == true)
        #expect(try await store.setMerchantDisabled(uid: merchant.uid, at: nil)?.isDisabled == false)
        #expect(try await store.setMerchantDisabled(uid: 1, at: base) == nil)
        #expect(try await store.allMerchants().map(\.uid) == [merchant.uid])

        #expect(try await store.outboxBacklogByMerchant().isEmpty)
        _ = try await store.transition(orderID: "C3", decide: { intent in
            var next = intent
            next.status = .cancelled
            return .apply(next, notification: .paymentCancelled)
        }, makeEvent: makeWebhook)
        let backlog = try await store.outboxBacklogByMerchant()
        #expect(backlog.count == 1 && backlog.first?.merchantUID == merchant.uid && backlog.first?.pending == 1 && backlog.first?.failed == 0)
        #expect(try await store.recentDeliveries(merchantUID: merchant.uid, status: .pending, limit: 5).map(\.event.orderID) == ["C3"])
    }
}
