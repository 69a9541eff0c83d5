import Foundation

/// Something that happened to a payment, as learnt from the provider or decided by the gateway.
public enum PaymentEvent: Sendable, Equatable {
    /// The provider reports the payment paid.
    case providerSucceeded(payTime: Date, wallet: String?, settleCurrency: String?)
    /// The provider reports the payment definitively failed (an F result), with its result code.
    case providerFailed(code: String)
    /// The provider answered the pay call with what the shopper needs next.
    case providerAwaitingShopper(NextAction, providerPaymentID: String?)
    /// The provider confirmed the payment cannot be paid any more: cancelled at the merchant's
    /// request or because the intent expired (`reason`: MERCHANT_CANCELLED, EXPIRED).
    case cancelConfirmed(reason: String)
    /// The gateway is about to hand the shopper a freshly signed WAP URL (mobile_web), issued at
    /// `at`, that can open a trade until `closesAt`. Refused unless the intent is still payable.
    case tradeLinkIssued(at: Date, closesAt: Date)
}

/// The decision of the state machine for one event.
public enum PaymentTransition: Sendable, Equatable {
    /// The intent changes; `notification` is the merchant webhook this change causes, if any.
    case apply(PaymentIntent, notification: WebhookEvent.Kind?)
    /// Nothing changes: a duplicate, or news that no longer matters (logged, never an error).
    case ignore(reason: String)
    /// The provider contradicts a final state (a cancel confirmed after the intent succeeded):
    /// nothing changes and the operator must look.
    case conflict(reason: String)
}

/// The one place that decides how a payment intent's status changes. Pure: no I/O, no clock.
public enum PaymentStateMachine {
    public static func transition(_ intent: PaymentIntent, on event: PaymentEvent) -> PaymentTransition {
        switch (intent.status, event) {
        case (.pending, .providerSucceeded(let payTime, let wallet, let settleCurrency)):
            var next = intent
            next.status = .succeeded
            next.payTime = payTime
            next.walletUsed = wallet ?? intent.walletUsed
            next.settleCurrency = settleCurrency ?? intent.settleCurrency
            next.nextAction = nil
            return .apply(next, notification: .paymentSuccess)
        case (.pending, .providerFailed(let code)):
            var next = intent
            next.status = .cancelled
            next.failureCode = code
            next.nextAction = nil
            return .apply(next, notification: .paymentCancelled)
        case (.pending, .cancelConfirmed(let reason)):
            var next = intent
            next.status = .cancelled
            next.failureCode = reason
            next.nextAction = nil
            return .apply(next, notification: .paymentCancelled)
        case (.cancelled, .cancelConfirmed):
            return .ignore(reason: "already cancelled")
        case (.succeeded, .cancelConfirmed):
            return .conflict(reason: "provider confirmed a cancel but the intent succeeded")
        case (.pending, .providerAwaitingShopper(let action, let providerPaymentID)):
            var next = intent
            next.nextAction = action
            next.providerPaymentID = providerPaymentID ?? intent.providerPaymentID
            return next == intent ? .ignore(reason: "next action already recorded") : .apply(next, notification: nil)
        case (.succeeded, .providerSucceeded):
            return .ignore(reason: "already succeeded")
        case (.succeeded, .providerFailed):
            return .ignore(reason: "a failure reported after success does not undo a payment")
        case (.cancelled, .providerFailed):
            return .ignore(reason: "already cancelled")
        case (.cancelled, .providerSucceeded(let payTime, let wallet, let settleCurrency)):
            // Money landed anyway (a WAP URL issued before the cancel, a late AMS payment): the status
            // stays CANCELLED, the payment is recorded so that it is refunded automatically.
            guard intent.latePaymentTime == nil else { return .ignore(reason: "payment after cancel already recorded") }
            var next = intent
            next.latePaymentTime = payTime
            next.walletUsed = wallet ?? intent.walletUsed
            next.settleCurrency = settleCurrency ?? intent.settleCurrency
            return .apply(next, notification: nil)
        case (_, .providerAwaitingShopper):
            return .ignore(reason: "intent is final")
        case (.pending, .tradeLinkIssued(let at, let closesAt)):
            guard at < intent.expiresAt, closesAt <= intent.expiresAt else {
                return .ignore(reason: "the intent expires before the link could be used")
            }
            var next = intent
            next.tradeLinkClosesAt = max(intent.tradeLinkClosesAt ?? closesAt, closesAt)
            return .apply(next, notification: nil)
        case (_, .tradeLinkIssued):
            return .ignore(reason: "intent is final")
        }
    }
}
