import Foundation
import ShroffCore
import _CryptoExtras

/// What a verified `notifyPayment` tells the gateway.
public struct AMSPaymentReport: Sendable, Equatable {
    public let orderID: String
    public let reportedAmount: AMSAmount?
    public let event: PaymentEvent
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
        guard let clientID = header("client-id"), let time = header("request-time"), let signature = header("signature") else {
            throw .missingHeaders
        }
        guard AMSSignature.verify(header: signature, body: body, path: path, clientID: clientID, time: time, with: providerPublicKey) else {
            throw .badSignature
        }
        guard let message = try? JSONDecoder().decode(AMSPaymentNotification.self, from: Data(body)) else {
            throw .unreadableBody
        }
        guard message.notifyType == "PAYMENT_RESULT" else { throw .unsupportedType(message.notifyType) }
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
