import Foundation
import Logging

/// What a provider reported about a payment, signature already verified, before it is trusted.
public struct ProviderPaymentReport: Sendable {
    public let orderID: String
    /// Whether the reported amount and currency are the intent's (each protocol writes amounts its
    /// own way); false when the report carries none.
    public let amountMatches: @Sendable (Money) -> Bool
    /// The provider's id of the payment, when the report names one.
    public let providerPaymentID: String?
    public let event: PaymentEvent

    public init(orderID: String, amountMatches: @escaping @Sendable (Money) -> Bool, providerPaymentID: String?, event: PaymentEvent) {
        self.orderID = orderID
        self.amountMatches = amountMatches
        self.providerPaymentID = providerPaymentID
        self.event = event
    }
}

/// What became of a provider report.
public enum ProviderReportOutcome: Sendable, Equatable {
    case applied
    case unknownPayment
    /// Signed, but not about this payment as we know it: never applied.
    case refused(reason: String)
}

extension PaymentService {
    /// Applies a verified provider report only when it is bound to the payment: the amount and
    /// currency are the intent's, and the provider's payment id is the one it gave us (when we have
    /// one). Another customer of the same provider holds genuinely signed reports of its own.
    public func apply(_ report: ProviderPaymentReport, logger: Logger) async throws -> ProviderReportOutcome {
        var logger = logger
        logger[metadataKey: "order_id"] = "\(report.orderID.prefix(64))"
        guard let intent = try await intents.intent(orderID: report.orderID) else {
            logger.warning("provider notification for an unknown payment")
            return .unknownPayment
        }
        guard report.amountMatches(intent.amount) else {
            logger.error("provider notification amount differs from the intent (or is missing); operator attention needed", metadata: [
                "expected": "\(intent.amount.minorUnitsString) \(intent.amount.currency.code)",
            ])
            return .refused(reason: "amount")
        }
        if let known = intent.providerPaymentID,
           !(report.providerPaymentID.map { $0.utf8.elementsEqual(known.utf8) } ?? false) {
            logger.error("provider notification names another payment id than the one the provider gave us", metadata: [
                "reported_payment_id": "\(report.providerPaymentID?.prefix(64) ?? "-")", "payment_id": "\(known)",
            ])
            return .refused(reason: "payment id")
        }
        try await apply(report.event, to: intent.orderID, logger: logger)
        return .applied
    }
}
