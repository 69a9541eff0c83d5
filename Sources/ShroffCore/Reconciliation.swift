import Foundation

/// When the gateway asks the provider about a payment or refund whose result has not arrived.
/// Protocol guidance (providers.md): poll a U result every 3 s 10–20 times, then rely on the
/// notification and look less often.
public struct ReconciliationSchedule: Sendable, Equatable {
    /// The wait before the first check after creation.
    public let first: Duration
    /// Waits after each check, the last one repeating.
    public let steps: [(count: Int, every: Duration)]
    /// How long a node holds a claimed check before another node may take it.
    public let lease: Duration

    /// 10 checks 3 s apart, then 10 every 30 s, then every 5 minutes.
    public static let standard = ReconciliationSchedule(
        first: .seconds(3), steps: [(10, .seconds(3)), (10, .seconds(30)), (1, .seconds(300))], lease: .seconds(60)
    )

    public init(first: Duration, steps: [(count: Int, every: Duration)], lease: Duration) {
        self.first = first
        self.steps = steps
        self.lease = lease
    }

    /// The wait after check number `checks` (1-based) has been made.
    public func wait(afterChecks checks: Int) -> Duration {
        var remaining = checks
        for step in steps {
            if remaining <= step.count { return step.every }
            remaining -= step.count
        }
        return steps.last?.every ?? .seconds(300)
    }

    public static func == (lhs: ReconciliationSchedule, rhs: ReconciliationSchedule) -> Bool {
        lhs.first == rhs.first && lhs.lease == rhs.lease && lhs.steps.map(\.count) == rhs.steps.map(\.count)
            && lhs.steps.map(\.every) == rhs.steps.map(\.every)
    }
}

/// What a change of an intent does to its provider checks; the stores apply it in the change's own
/// transaction, so a crash can never leave a watched intent unwatched.
public enum ProviderCheckChange: Sendable, Equatable {
    /// The schedule stays as it is (a PENDING intent, or a CANCELLED one already watched).
    case keep
    case checkAt(Date)
    case stop

    /// The wait before the backup check of a payment made after the cancel, which creates the
    /// automatic refund again if the node recording the payment died before it could.
    public static let latePaymentBackupDelay: TimeInterval = 30

    public static func between(_ current: PaymentIntent, _ next: PaymentIntent, now: Date) -> ProviderCheckChange {
        if next.status == .pending { return .keep }
        if next.latePaymentTime != nil, current.latePaymentTime == nil {
            return .checkAt(now.addingTimeInterval(latePaymentBackupDelay))
        }
        if next.watchesForLatePayment { return current.status == .pending ? .checkAt(now) : .keep }
        return .stop
    }
}

extension PaymentIntent {
    /// A CANCELLED intent for which a WAP URL was issued: the provider has no confirmed cancel of
    /// a trade that URL may still open (`close_trade` can only close a trade that exists), so the
    /// gateway keeps asking (`single_trade_query`) until the URL's window has passed.
    public var watchesForLatePayment: Bool { status == .cancelled && tradeLinkClosesAt != nil && latePaymentTime == nil }
}
