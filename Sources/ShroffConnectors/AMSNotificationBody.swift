import Foundation
import ShroffCore

/// What a verified `notifyPayment` tells the gateway.
public struct AMSPaymentReport: Sendable, Equatable {
    public let orderID: String
    /// The provider's id of the payment (`paymentId`), when the report carries one.
    public let providerPaymentID: String?
    public let reportedAmount: AMSAmount
    public let event: PaymentEvent
}

/// What a verified `notifyRefund` tells the gateway.
public struct AMSRefundReport: Sendable, Equatable {
    public let refundID: String
    /// The provider's id of the refund (`refundId`), when the report carries one.
    public let providerRefundID: String?
    public let reportedAmount: AMSAmount
    public let event: RefundEvent
}

/// Why a provider notification was refused.
public enum AMSNotificationRejection: Error, Equatable, CustomStringConvertible {
    case missingHeaders
    case badSignature
    case foreignClient
    case unreadableBody
    case missingAmount
    case unsupportedType(String)

    public var description: String {
        switch self {
        case .missingHeaders: "notification lacks client-id, request-time or signature"
        case .badSignature: "notification signature does not verify"
        case .foreignClient: "notification is for another client-id than ours"
        case .unreadableBody: "notification body is not a notifyPayment or notifyRefund message"
        case .missingAmount: "notification carries no amount and currency"
        case .unsupportedType(let type): "notification type \(type) is not handled"
        }
    }
}

/// A verified notification of either kind.
public enum AMSReport: Sendable, Equatable {
    case payment(AMSPaymentReport)
    case refund(AMSRefundReport)
    /// Real but not final: `PAYMENT_PENDING`, or `PAYMENT_RESULT` with status U. Acknowledged and
    /// recorded; only a final S/F changes state.
    case paymentInProgress(orderID: String, notifyType: String, resultCode: String)
}

/// Reads a notification body whose signature has been checked. Pure, so it can be fuzzed on its own.
public enum AMSNotificationBody {
    public static func parse(_ body: [UInt8]) throws(AMSNotificationRejection) -> AMSReport {
        struct Kind: Decodable { var notifyType: String }
        guard let kind = try? JSONDecoder().decode(Kind.self, from: Data(body)) else { throw .unreadableBody }
        switch kind.notifyType {
        case "PAYMENT_PENDING":
            guard let message = try? JSONDecoder().decode(AMSPaymentNotification.self, from: Data(body)) else { throw .unreadableBody }
            return .paymentInProgress(orderID: message.paymentRequestId, notifyType: "PAYMENT_PENDING", resultCode: message.result.resultCode)
        case "PAYMENT_RESULT":
            guard let message = try? JSONDecoder().decode(AMSPaymentNotification.self, from: Data(body)) else { throw .unreadableBody }
            if message.result.resultStatus == "U" {
                return .paymentInProgress(orderID: message.paymentRequestId, notifyType: "PAYMENT_RESULT", resultCode: message.result.resultCode)
            }
            return .payment(try paymentResult(body))
        case "REFUND_RESULT":
            return .refund(try refundResult(body))
        default:
            throw .unsupportedType(kind.notifyType)
        }
    }

    static func paymentResult(_ body: [UInt8]) throws(AMSNotificationRejection) -> AMSPaymentReport {
        guard let message = try? JSONDecoder().decode(AMSPaymentNotification.self, from: Data(body)) else {
            throw .unreadableBody
        }
        // Never applied without the amount: a report that cannot be checked is not trusted.
        guard let amount = message.paymentAmount, !amount.currency.isEmpty, !amount.value.isEmpty else { throw .missingAmount }
        let event: PaymentEvent
        switch message.result.resultStatus {
        case "S":
            event = .providerSucceeded(
                payTime: message.paymentTime.flatMap(TimestampFormat.parse) ?? Date(),
                wallet: message.paymentMethodType,
                settleCurrency: message.grossSettlementAmount?.currency ?? message.settlementQuote?.currency
            )
        case "F":
            event = .providerFailed(code: message.result.resultCode)
        default:
            throw .unsupportedType("PAYMENT_RESULT/\(message.result.resultStatus)")
        }
        return AMSPaymentReport(
            orderID: message.paymentRequestId, providerPaymentID: message.paymentId, reportedAmount: amount, event: event
        )
    }

    static func refundResult(_ body: [UInt8]) throws(AMSNotificationRejection) -> AMSRefundReport {
        guard let message = try? JSONDecoder().decode(AMSRefundNotification.self, from: Data(body)) else { throw .unreadableBody }
        guard let amount = message.refundAmount, !amount.currency.isEmpty, !amount.value.isEmpty else { throw .missingAmount }
        let time = message.refundTime.flatMap(TimestampFormat.parse) ?? Date()
        let event: RefundEvent
        switch message.refundStatus {
        case "SUCCESS": event = .providerSucceeded(time: time, providerRefundID: message.refundId)
        case "FAIL":
            let code = message.result.map(\.resultCode).flatMap { $0 == "SUCCESS" ? nil : $0 } ?? "REFUND_FAILED"
            event = .providerFailed(code: code, time: time)
        default: throw .unsupportedType("REFUND_RESULT/\(message.refundStatus)")
        }
        return AMSRefundReport(
            refundID: message.refundRequestId, providerRefundID: message.refundId, reportedAmount: amount, event: event
        )
    }
}
