import Foundation
import ShroffCore
import _CryptoExtras

/// What a verified `notifyPayment` tells the gateway.
public struct AMSPaymentReport: Sendable, Equatable {
    public let orderID: String
    public let reportedAmount: AMSAmount?
    public let event: PaymentEvent
}

/// What a verified `notifyRefund` tells the gateway.
public struct AMSRefundReport: Sendable, Equatable {
    public let refundID: String
    public let reportedAmount: AMSAmount?
    public let event: RefundEvent
}

/// A verified notification of either kind.
public enum AMSReport: Sendable, Equatable {
    case payment(AMSPaymentReport)
    case refund(AMSRefundReport)
}

/// Verifies and reads the provider's notifications (providers.md §1, "Notifications").
public struct AMSNotificationReceiver: Sendable {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case missingHeaders
        case badSignature
        case unreadableBody
        case unsupportedType(String)

        public var description: String {
            switch self {
            case .missingHeaders: "notification lacks client-id, request-time or signature"
            case .badSignature: "notification signature does not verify"
            case .unreadableBody: "notification body is not a notifyPayment message"
            case .unsupportedType(let type): "notification type \(type) is not handled"
            }
        }
    }

    /// The exact acknowledgement the provider expects; anything else is retried.
    public static let acknowledgement = #"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#

    let providerPublicKey: _RSA.Signing.PublicKey

    public init(providerPublicKey: _RSA.Signing.PublicKey) {
        self.providerPublicKey = providerPublicKey
    }

    /// - Parameters:
    ///   - header: looks a header up by lowercase name.
    ///   - path: the path of the notify URL the message was posted to.
    ///   - body: the exact bytes received.
    public func paymentReport(header: (String) -> String?, path: String, body: [UInt8]) throws(Rejection) -> AMSPaymentReport {
        guard case .payment(let report) = try report(header: header, path: path, body: body) else {
            throw .unsupportedType("REFUND_RESULT")
        }
        return report
    }

    /// Verifies the signature, then reads a `PAYMENT_RESULT` or `REFUND_RESULT` notification.
    public func report(header: (String) -> String?, path: String, body: [UInt8]) throws(Rejection) -> AMSReport {
        guard let clientID = header("client-id"), let time = header("request-time"), let signature = header("signature") else {
            throw .missingHeaders
        }
        guard AMSSignature.verify(header: signature, body: body, path: path, clientID: clientID, time: time, with: providerPublicKey) else {
            throw .badSignature
        }
        struct Kind: Decodable { var notifyType: String }
        guard let kind = try? JSONDecoder().decode(Kind.self, from: Data(body)) else { throw .unreadableBody }
        switch kind.notifyType {
        case "PAYMENT_RESULT":
            return .payment(try paymentResult(body))
        case "REFUND_RESULT":
            guard let message = try? JSONDecoder().decode(AMSRefundNotification.self, from: Data(body)) else { throw .unreadableBody }
            let time = message.refundTime.flatMap(TimestampFormat.parse) ?? Date()
            let event: RefundEvent
            switch message.refundStatus {
            case "SUCCESS": event = .providerSucceeded(time: time, providerRefundID: message.refundId)
            case "FAIL":
                let code = message.result.map(\.resultCode).flatMap { $0 == "SUCCESS" ? nil : $0 } ?? "REFUND_FAILED"
                event = .providerFailed(code: code, time: time)
            default: throw .unsupportedType("REFUND_RESULT/\(message.refundStatus)")
            }
            return .refund(AMSRefundReport(refundID: message.refundRequestId, reportedAmount: message.refundAmount, event: event))
        default:
            throw .unsupportedType(kind.notifyType)
        }
    }

    func paymentResult(_ body: [UInt8]) throws(Rejection) -> AMSPaymentReport {
        guard let message = try? JSONDecoder().decode(AMSPaymentNotification.self, from: Data(body)) else {
            throw .unreadableBody
        }
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
        return AMSPaymentReport(orderID: message.paymentRequestId, reportedAmount: message.paymentAmount, event: event)
    }
}
