/// Sends each payment to the connector of its flow: `mobile_web` to the WAP gateway, everything
/// else to Alipay+ AMS.
public struct ProviderRouter: PaymentProvider {
    let ams: any PaymentProvider
    let wap: (any PaymentProvider)?

    public init(ams: any PaymentProvider, wap: (any PaymentProvider)?) {
        self.ams = ams
        self.wap = wap
    }

    /// Whether intents of this flow can be paid here.
    public func supports(_ flow: PaymentMethodSpec.Flow) -> Bool {
        flow != .mobileWeb || wap != nil
    }

    func provider(for intent: PaymentIntent) throws -> any PaymentProvider {
        guard intent.method.flow == .mobileWeb else { return ams }
        guard let wap else { throw ProviderUnavailable(reason: "no WAP gateway configured", isTransportFailure: false) }
        return wap
    }

    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        try await provider(for: request.intent).startPayment(request)
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        try await provider(for: intent).inquirePayment(intent)
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        try await provider(for: intent).cancelPayment(intent)
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        try await provider(for: request.intent).startRefund(request)
    }

    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        try await provider(for: request.intent).inquireRefund(request)
    }
}
