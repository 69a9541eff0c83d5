import Foundation
import Synchronization
import Testing

@testable import ShroffCore

/// The refund state machine, the cancel event of the payment state machine, the circuit breaker
/// and the reconciliation schedule: one transition per line.
@Suite("Lifecycle state machines")
struct LifecycleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let hkd = Currency(code: "HKD")!

    static func intent(_ status: PaymentStatus) -> PaymentIntent {
        PaymentIntent(
            orderID: "C1", merchantUID: 1, merchantOrderID: "P1", amount: Money(minorUnits: 1000, currency: hkd), description: "d",
            notifyURL: nil, returnURL: nil, method: PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK"),
            status: status, createTime: t0, expiresAt: t0.addingTimeInterval(60), requestFingerprint: "f"
        )
    }

    static func refund(_ status: RefundStatus, providerRefundID: String? = nil) -> Refund {
        Refund(
            refundID: "R1", merchantUID: 1, orderID: "C1", merchantRefundID: "r1", amount: Money(minorUnits: 400, currency: hkd),
            reason: nil, status: status, providerRefundID: providerRefundID, createTime: t0, requestFingerprint: "f"
        )
    }

    func kind(_ transition: PaymentTransition) -> String {
        switch transition {
        case .apply(let next, let notification): "apply \(next.status.rawValue) \(notification?.rawValue ?? "-")"
        case .ignore: "ignore"
        case .conflict: "conflict"
        }
    }

    func kind(_ transition: RefundTransition) -> String {
        switch transition {
        case .apply(let next, let notification): "apply \(next.status.rawValue) \(notification?.rawValue ?? "-")"
        case .ignore: "ignore"
        case .conflict: "conflict"
        }
    }

    @Test func paymentCancelTransitions() {
        let cancel = PaymentEvent.cancelConfirmed(reason: "EXPIRED")
        #expect(kind(PaymentStateMachine.transition(Self.intent(.pending), on: cancel)) == "apply CANCELLED payment_cancelled")
        #expect(kind(PaymentStateMachine.transition(Self.intent(.cancelled), on: cancel)) == "ignore")
        #expect(kind(PaymentStateMachine.transition(Self.intent(.succeeded), on: cancel)) == "conflict")
    }

    /// What each change does to the provider checks (the watch for a payment after the cancel).
    @Test func providerCheckChanges() {
        let now = Self.t0.addingTimeInterval(10)
        var linked = Self.intent(.pending)
        linked.tradeLinkClosesAt = Self.t0.addingTimeInterval(30)
        var linkedCancelled = linked
        linkedCancelled.status = .cancelled
        var paidLate = linkedCancelled
        paidLate.latePaymentTime = now
        var unlinkedPaidLate = Self.intent(.cancelled)
        unlinkedPaidLate.latePaymentTime = now
        #expect(ProviderCheckChange.between(Self.intent(.pending), linked, now: now) == .keep)
        #expect(ProviderCheckChange.between(linked, linkedCancelled, now: now) == .checkAt(now))
        #expect(ProviderCheckChange.between(Self.intent(.pending), Self.intent(.cancelled), now: now) == .stop)
        #expect(ProviderCheckChange.between(Self.intent(.pending), Self.intent(.succeeded), now: now) == .stop)
        #expect(ProviderCheckChange.between(linkedCancelled, paidLate, now: now) == .checkAt(now.addingTimeInterval(ProviderCheckChange.latePaymentBackupDelay)))
        #expect(ProviderCheckChange.between(Self.intent(.cancelled), unlinkedPaidLate, now: now) == .checkAt(now.addingTimeInterval(ProviderCheckChange.latePaymentBackupDelay)))
        #expect(ProviderCheckChange.between(linkedCancelled, linkedCancelled, now: now) == .keep)
    }

    @Test func cancelRecordsItsReason() {
        guard case .apply(let next, _) = PaymentStateMachine.transition(Self.intent(.pending), on: .cancelConfirmed(reason: "EXPIRED")) else {
            Issue.record("not applied")
            return
        }
        #expect(next.failureCode == "EXPIRED")
        #expect(next.nextAction == nil)
    }

    @Test func refundTransitions() {
        let succeeded = RefundEvent.providerSucceeded(time: Self.t0, providerRefundID: "P9")
        let failed = RefundEvent.providerFailed(code: "REFUND_WINDOW_EXCEED", time: Self.t0)
        let accepted = RefundEvent.providerAccepted(providerRefundID: "P9")
        #expect(kind(RefundStateMachine.transition(Self.refund(.processing), on: succeeded)) == "apply SUCCEEDED refund_success")
        #expect(kind(RefundStateMachine.transition(Self.refund(.processing), on: failed)) == "apply FAILED refund_failed")
        #expect(kind(RefundStateMachine.transition(Self.refund(.processing), on: accepted)) == "apply PROCESSING -")
        #expect(kind(RefundStateMachine.transition(Self.refund(.processing, providerRefundID: "P9"), on: accepted)) == "ignore")
        #expect(kind(RefundStateMachine.transition(Self.refund(.succeeded), on: succeeded)) == "ignore")
        #expect(kind(RefundStateMachine.transition(Self.refund(.failed), on: failed)) == "ignore")
        #expect(kind(RefundStateMachine.transition(Self.refund(.succeeded), on: accepted)) == "ignore")
        #expect(kind(RefundStateMachine.transition(Self.refund(.succeeded), on: failed)) == "conflict")
        #expect(kind(RefundStateMachine.transition(Self.refund(.failed), on: succeeded)) == "conflict")
    }

    @Test func everyRefundStatusAndEventIsDecided() {
        // No combination crashes or leaves a final state for another status.
        for status in RefundStatus.allCases {
            for event in [RefundEvent.providerSucceeded(time: Self.t0, providerRefundID: nil), .providerFailed(code: "X", time: Self.t0), .providerAccepted(providerRefundID: "P")] {
                if case .apply(let next, _) = RefundStateMachine.transition(Self.refund(status), on: event) {
                    #expect(status == .processing, "a final refund changed: \(status) on \(event)")
                    #expect(next.status != .processing || next.providerRefundID == "P")
                }
            }
        }
    }

    @Test func refundAdmission() {
        let refund = Self.refund(.processing)  // 4.00 of an intent of 10.00
        var late = Self.intent(.cancelled)
        late.latePaymentTime = Self.t0
        #expect(RefundAdmission.decide(refund, of: Self.intent(.succeeded), committedMinorUnits: 0) == .admitted)
        #expect(RefundAdmission.decide(refund, of: Self.intent(.succeeded), committedMinorUnits: 600) == .admitted)
        #expect(RefundAdmission.decide(refund, of: Self.intent(.succeeded), committedMinorUnits: 601) == .exceedsRefundable(remainingMinorUnits: 399))
        #expect(RefundAdmission.decide(refund, of: late, committedMinorUnits: 0) == .admitted)
        #expect(RefundAdmission.decide(refund, of: Self.intent(.cancelled), committedMinorUnits: 0) == .notRefundable(.cancelled))
        #expect(RefundAdmission.decide(refund, of: Self.intent(.pending), committedMinorUnits: 0) == .notRefundable(.pending))
    }

    @Test func webhookSigningSecretsDuringARotation() {
        let rotated = WebhookSigningSecrets(current: "new", previous: "old", previousExpiresAt: Self.t0)
        #expect(rotated.active(at: Self.t0.addingTimeInterval(-0.001)) == ["new", "old"])
        #expect(rotated.active(at: Self.t0) == ["new"])
        #expect(WebhookSigningSecrets(current: "only", previous: nil, previousExpiresAt: nil).active(at: Self.t0) == ["only"])
    }

    @Test func everyPaymentStatusAndEventIsDecided() {
        let events: [PaymentEvent] = [
            .providerSucceeded(payTime: Self.t0, wallet: nil, settleCurrency: nil), .providerFailed(code: "X"),
            .providerAwaitingShopper(NextAction(type: .redirect, url: "u"), providerPaymentID: nil), .cancelConfirmed(reason: "R"),
            .tradeLinkIssued(at: Self.t0, closesAt: Self.t0.addingTimeInterval(30)),
        ]
        for status in PaymentStatus.allCases {
            for event in events {
                if case .apply(let next, _) = PaymentStateMachine.transition(Self.intent(status), on: event) {
                    // PENDING → SUCCEEDED | CANCELLED, nothing else, ever; a final intent only records
                    // a payment made after its cancel, keeping its status.
                    #expect(status == .pending || next.status == status, "a final intent changed: \(status) on \(event)")
                    #expect(status == .pending || next.latePaymentTime != nil, "a final intent changed: \(status) on \(event)")
                    #expect(next.status != .pending || next.nextAction != nil || next.tradeLinkClosesAt != nil)
                }
            }
        }
    }
}

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    final class Clock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex(Duration.zero)
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    }

    @Test func opensAfterThresholdThenHalfOpensThenCloses() async {
        let clock = Clock()
        let breaker = CircuitBreaker(failureThreshold: 3, openDuration: .seconds(30), now: { clock.now })
        #expect(await breaker.permit() == nil)
        await breaker.recordFailure()
        await breaker.recordFailure()
        #expect(await breaker.state == .closed(failures: 2))
        await breaker.recordFailure()
        #expect(await breaker.permit() == .seconds(30))
        clock.advance(.seconds(29))
        #expect(await breaker.permit() == .seconds(1))
        clock.advance(.seconds(1))
        #expect(await breaker.permit() == nil)
        #expect(await breaker.state == .halfOpen)
        #expect(await breaker.permit() != nil)
        await breaker.recordSuccess()
        #expect(await breaker.state == .closed(failures: 0))
    }

    @Test func failedTrialReopens() async {
        let clock = Clock()
        let breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(10), now: { clock.now })
        await breaker.recordFailure()
        clock.advance(.seconds(10))
        #expect(await breaker.permit() == nil)
        await breaker.recordFailure()
        #expect(await breaker.permit() == .seconds(10))
    }

    @Test func successResetsTheCount() async {
        let breaker = CircuitBreaker(failureThreshold: 2, openDuration: .seconds(10))
        await breaker.recordFailure()
        await breaker.recordSuccess()
        await breaker.recordFailure()
        #expect(await breaker.permit() == nil)
    }
}

@Suite("Reconciliation schedule")
struct ReconciliationScheduleTests {
    @Test func followsTheProtocolGuidance() {
        let schedule = ReconciliationSchedule.standard
        #expect(schedule.first == .seconds(3))
        #expect((1...10).allSatisfy { schedule.wait(afterChecks: $0) == .seconds(3) })
        #expect((11...20).allSatisfy { schedule.wait(afterChecks: $0) == .seconds(30) })
        #expect(schedule.wait(afterChecks: 21) == .seconds(300))
        #expect(schedule.wait(afterChecks: 1000) == .seconds(300))
    }
}
