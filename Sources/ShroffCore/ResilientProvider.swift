import Foundation

/// Stops calling a provider that keeps failing: after `failureThreshold` consecutive failures the
/// circuit opens and calls fail at once for `openDuration`; then one trial call is let through
/// (half-open), and its outcome closes or reopens the circuit.
public actor CircuitBreaker {
    public enum State: Equatable, Sendable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    public private(set) var state: State = .closed(failures: 0)
    /// Outcomes recorded since the breaker was made: every call that reached the provider, and those
    /// that got no answer.
    public private(set) var calls: Int64 = 0
    public private(set) var failures: Int64 = 0
    let failureThreshold: Int
    let openDuration: Duration
    let now: @Sendable () -> ContinuousClock.Instant

    public init(failureThreshold: Int, openDuration: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.failureThreshold = max(failureThreshold, 1)
        self.openDuration = openDuration
        self.now = now
    }

    /// Whether a call may go ahead; when not, how long until it may.
    public func permit() -> Duration? {
        switch state {
        case .closed:
            return nil
        case .open(let until):
            let remaining = until - now()
            guard remaining <= .zero else { return remaining }
            state = .halfOpen
            return nil
        case .halfOpen:
            // One trial at a time.
            return openDuration
        }
    }

    public func recordSuccess() {
        calls += 1
        state = .closed(failures: 0)
    }

    public func recordFailure() {
        calls += 1
        failures += 1
        switch state {
        case .closed(let failures) where failures + 1 < failureThreshold:
            state = .closed(failures: failures + 1)
        case .closed, .halfOpen, .open:
            state = .open(until: now() + openDuration)
        }
    }
}

extension CircuitBreaker {
    /// The breaker as the operator console shows it, its open-until as a wall-clock time.
    public func health(provider: String, wallClock: Date = Date()) -> ProviderHealth {
        switch state {
        case .closed:
            return ProviderHealth(provider: provider, calls: calls, failures: failures, breaker: .closed, openUntil: nil)
        case .open(let until):
            let remaining = until - now()
            return ProviderHealth(
                provider: provider, calls: calls, failures: failures, breaker: .open,
                openUntil: wallClock.addingTimeInterval(max(remaining.timeInterval, 0))
            )
        case .halfOpen:
            return ProviderHealth(provider: provider, calls: calls, failures: failures, breaker: .halfOpen, openUntil: nil)
        }
    }
}

/// A provider behind a circuit breaker, with a few quick retries of calls that got no answer. Every
/// call is idempotent at the provider (same paymentRequestId / refundRequestId), so a retry never
/// pays or refunds twice.
public struct ResilientProvider: PaymentProvider {
    let wrapped: any PaymentProvider
    let breaker: CircuitBreaker
    let retryDelays: [Duration]

    public init(wrapping provider: any PaymentProvider, breaker: CircuitBreaker, retryDelays: [Duration]) {
        self.wrapped = provider
        self.breaker = breaker
        self.retryDelays = retryDelays
    }

    func guarded<T: Sendable>(_ call: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            if let wait = await breaker.permit() {
                throw ProviderUnavailable(reason: "circuit open for \(Int(wait.timeInterval.rounded(.up))) s after repeated provider failures")
            }
            do {
                let value = try await call()
                await breaker.recordSuccess()
                return value
            } catch let unavailable as ProviderUnavailable {
                // A provider that answers, even "unknown", is alive: only silence trips the breaker.
                guard unavailable.isTransportFailure else {
                    await breaker.recordSuccess()
                    throw unavailable
                }
                await breaker.recordFailure()
                guard attempt < retryDelays.count else { throw unavailable }
                try await Task.sleep(for: retryDelays[attempt])
                attempt += 1
            }
        }
    }

    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        try await guarded { try await wrapped.startPayment(request) }
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        try await guarded { try await wrapped.inquirePayment(intent) }
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        try await guarded { try await wrapped.cancelPayment(intent) }
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        try await guarded { try await wrapped.startRefund(request) }
    }

    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        try await guarded { try await wrapped.inquireRefund(request) }
    }
}
