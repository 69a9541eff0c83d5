import ShroffCore

/// Counts and times every call to a wallet provider connector (each retry is a call of its own).
public struct MeasuredProvider: PaymentProvider {
    let wrapped: any PaymentProvider
    /// The `provider` label: `alipayplus_ams` or `alipayhk_wap`.
    let name: String
    let metrics: GatewayMetrics

    public init(wrapped: any PaymentProvider, name: String, metrics: GatewayMetrics) {
        self.wrapped = wrapped
        self.name = name
        self.metrics = metrics
    }

    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        try await measure("pay") { try await wrapped.startPayment(request) }
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        try await measure("inquiry_payment") { try await wrapped.inquirePayment(intent) }
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        try await measure("cancel") { try await wrapped.cancelPayment(intent) }
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        try await measure("refund") { try await wrapped.startRefund(request) }
    }

    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        try await measure("inquiry_refund") { try await wrapped.inquireRefund(request) }
    }

    /// outcome: `answered` (any answer, declines included), `unavailable` (no usable answer), `error`.
    private func measure<T>(_ operation: String, _ call: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let answer = try await call()
            metrics.recordProviderCall(provider: name, operation: operation, outcome: "answered", duration: ContinuousClock.now - started)
            return answer
        } catch {
            let outcome = error is ProviderUnavailable ? "unavailable" : "error"
            metrics.recordProviderCall(provider: name, operation: operation, outcome: outcome, duration: ContinuousClock.now - started)
            throw error
        }
    }
}
