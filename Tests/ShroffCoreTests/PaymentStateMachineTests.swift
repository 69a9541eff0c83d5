import Foundation
import Testing
@testable import ShroffCore

func sampleIntent(status: PaymentStatus = .pending, nextAction: NextAction? = nil) -> PaymentIntent {
    PaymentIntent(
        orderID: "C1693428245928123456789012", merchantUID: 12009321, merchantOrderID: "P9297895081903",
        amount: Money(minorUnits: 50000, currency: Currency(code: "KRW")!), description: "Online Payment",
        notifyURL: "https://merchant.example/notify", returnURL: nil,
        method: PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", presentmentMode: "UNIFIED", terminalType: "WEB"),
        status: status, nextAction: nextAction,
        createTime: Date(timeIntervalSince1970: 1_693_428_245.928), expiresAt: Date(timeIntervalSince1970: 1_693_430_045.928),
        requestFingerprint: "fp"
    )
}

@Suite("PaymentStateMachine")
struct PaymentStateMachineTests {
    let payTime = Date(timeIntervalSince1970: 1_693_428_300)
    var succeeded: PaymentEvent { .providerSucceeded(payTime: payTime, wallet: "ALIPAY_HK", settleCurrency: "USD") }
    let failed = PaymentEvent.providerFailed(code: "USER_BALANCE_NOT_ENOUGH")
    let action = NextAction(type: .redirect, url: "https://cashier.example/pay?id=1")
    var awaiting: PaymentEvent { .providerAwaitingShopper(action, providerPaymentID: "2023083100000001") }

    @Test("PENDING + succeeded → apply SUCCEEDED with payment_success")
    func pendingSucceeded() throws {
        let intent = sampleIntent(nextAction: action)
        guard case .apply(let next, let notification) = PaymentStateMachine.transition(intent, on: succeeded) else {
            Issue.record("expected apply"); return
        }
        #expect(next.status == .succeeded)
        #expect(notification == .paymentSuccess)
        #expect(next.payTime == payTime)
        #expect(next.walletUsed == "ALIPAY_HK")
        #expect(next.settleCurrency == "USD")
        #expect(next.nextAction == nil)
        #expect(next.orderID == intent.orderID && next.amount == intent.amount)
    }

    @Test("PENDING + failed → apply CANCELLED with payment_cancelled")
    func pendingFailed() throws {
        let intent = sampleIntent(nextAction: action)
        guard case .apply(let next, let notification) = PaymentStateMachine.transition(intent, on: failed) else {
            Issue.record("expected apply"); return
        }
        #expect(next.status == .cancelled)
        #expect(notification == .paymentCancelled)
        #expect(next.failureCode == "USER_BALANCE_NOT_ENOUGH")
        #expect(next.nextAction == nil)
        #expect(next.payTime == nil)
    }

    @Test("PENDING + awaitingShopper → apply without a notification; the same again → ignore")
    func pendingAwaitingShopper() throws {
        let intent = sampleIntent()
        guard case .apply(let next, let notification) = PaymentStateMachine.transition(intent, on: awaiting) else {
            Issue.record("expected apply"); return
        }
        #expect(next.status == .pending)
        #expect(notification == nil)
        #expect(next.nextAction == action)
        #expect(next.providerPaymentID == "2023083100000001")
        guard case .ignore = PaymentStateMachine.transition(next, on: awaiting) else {
            Issue.record("a repeated next action must be ignored"); return
        }
    }

    @Test("SUCCEEDED + succeeded → ignore")
    func succeededSucceeded() {
        guard case .ignore = PaymentStateMachine.transition(sampleIntent(status: .succeeded), on: succeeded) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("SUCCEEDED + failed → ignore (a late failure never undoes a payment)")
    func succeededFailed() {
        guard case .ignore = PaymentStateMachine.transition(sampleIntent(status: .succeeded), on: failed) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("CANCELLED + failed → ignore")
    func cancelledFailed() {
        guard case .ignore = PaymentStateMachine.transition(sampleIntent(status: .cancelled), on: failed) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("CANCELLED + succeeded → apply, still CANCELLED, the late payment recorded, no webhook")
    func cancelledSucceeded() throws {
        guard case .apply(let next, let notification) = PaymentStateMachine.transition(sampleIntent(status: .cancelled), on: succeeded) else {
            Issue.record("expected apply"); return
        }
        #expect(next.status == .cancelled)
        #expect(notification == nil)
        #expect(next.latePaymentTime == payTime)
        #expect(next.payTime == nil)
        #expect(next.holdsMoney)
    }

    @Test("CANCELLED with a late payment + succeeded → ignore")
    func cancelledPaidSucceeded() {
        var intent = sampleIntent(status: .cancelled)
        intent.latePaymentTime = payTime
        guard case .ignore = PaymentStateMachine.transition(intent, on: succeeded) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("PENDING + tradeLinkIssued → apply, still PENDING, the link's closing time recorded, no webhook")
    func pendingTradeLinkIssued() throws {
        let intent = sampleIntent()
        let closesAt = intent.expiresAt.addingTimeInterval(-60)
        guard case .apply(let next, let notification) = PaymentStateMachine.transition(intent, on: .tradeLinkIssued(at: intent.createTime, closesAt: closesAt)) else {
            Issue.record("expected apply"); return
        }
        #expect(next.status == .pending)
        #expect(notification == nil)
        #expect(next.tradeLinkClosesAt == closesAt)
    }

    @Test("PENDING with a later link + tradeLinkIssued closing earlier → apply, keeps the later closing time")
    func pendingTradeLinkKeepsLatest() throws {
        var intent = sampleIntent()
        let later = intent.expiresAt.addingTimeInterval(-60)
        intent.tradeLinkClosesAt = later
        guard case .apply(let next, _) = PaymentStateMachine.transition(intent, on: .tradeLinkIssued(at: intent.createTime, closesAt: later.addingTimeInterval(-300))) else {
            Issue.record("expected apply"); return
        }
        #expect(next.tradeLinkClosesAt == later)
    }

    @Test("PENDING + tradeLinkIssued at or after the expiry → ignore")
    func expiredTradeLinkIssued() {
        let intent = sampleIntent()
        guard case .ignore = PaymentStateMachine.transition(intent, on: .tradeLinkIssued(at: intent.expiresAt, closesAt: intent.expiresAt)) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("PENDING + tradeLinkIssued whose trade outlives the intent → ignore")
    func outlivingTradeLinkIssued() {
        let intent = sampleIntent()
        guard case .ignore = PaymentStateMachine.transition(intent, on: .tradeLinkIssued(at: intent.createTime, closesAt: intent.expiresAt.addingTimeInterval(1))) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("final + tradeLinkIssued → ignore", arguments: [PaymentStatus.succeeded, .cancelled])
    func finalTradeLinkIssued(_ status: PaymentStatus) {
        let intent = sampleIntent(status: status)
        guard case .ignore = PaymentStateMachine.transition(intent, on: .tradeLinkIssued(at: intent.createTime, closesAt: intent.createTime.addingTimeInterval(300))) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("final + awaitingShopper → ignore", arguments: [PaymentStatus.succeeded, .cancelled])
    func finalAwaitingShopper(_ status: PaymentStatus) {
        guard case .ignore = PaymentStateMachine.transition(sampleIntent(status: status), on: awaiting) else {
            Issue.record("expected ignore"); return
        }
    }

    @Test("no event ever moves a final intent to another status")
    func finalIsFinal() {
        for status in [PaymentStatus.succeeded, .cancelled] {
            let link = PaymentEvent.tradeLinkIssued(at: Date(timeIntervalSince1970: 1_693_428_300), closesAt: Date(timeIntervalSince1970: 1_693_428_600))
            for event in [succeeded, failed, awaiting, .cancelConfirmed(reason: "EXPIRED"), link] {
                if case .apply(let next, _) = PaymentStateMachine.transition(sampleIntent(status: status), on: event), next.status != status {
                    Issue.record("\(status) changed on \(event)")
                }
            }
        }
    }
}
