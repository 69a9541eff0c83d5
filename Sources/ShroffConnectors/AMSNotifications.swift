import Foundation
import ShroffCore
import _CryptoExtras

/// Verifies the provider's notifications (providers.md §1, "Notifications") and reads them with
/// `AMSNotificationBody`. A report is returned only when it is signed by the provider *and*
/// addressed to our client id: another customer of the same provider holds genuinely signed
/// reports of its own, which must never be applied here.
public struct AMSNotificationReceiver: Sendable {
    public typealias Rejection = AMSNotificationRejection

    /// The exact acknowledgement the provider expects; anything else is retried.
    public static let acknowledgement = #"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#

    let providerPublicKey: _RSA.Signing.PublicKey
    let clientID: String

    /// - Parameter clientID: our client id at the provider; reports for any other are refused.
    public init(providerPublicKey: _RSA.Signing.PublicKey, clientID: String) {
        self.providerPublicKey = providerPublicKey
        self.clientID = clientID
    }

    /// - Parameters:
    ///   - header: looks a header up by lowercase name.
    ///   - path: the path of the notify URL the message was posted to.
    ///   - body: the exact bytes received.
    public func paymentReport(header: (String) -> String?, path: String, body: [UInt8]) throws(Rejection) -> AMSPaymentReport {
        switch try report(header: header, path: path, body: body) {
        case .payment(let report): return report
        case .refund: throw .unsupportedType("REFUND_RESULT")
        case .paymentInProgress(_, let notifyType, _): throw .unsupportedType(notifyType)
        }
    }

    /// Verifies the signature and the client id, then reads a `PAYMENT_RESULT` or `REFUND_RESULT`.
    public func report(header: (String) -> String?, path: String, body: [UInt8]) throws(Rejection) -> AMSReport {
        guard let clientID = header("client-id"), let time = header("request-time"), let signature = header("signature") else {
            throw .missingHeaders
        }
        guard AMSSignature.verify(header: signature, body: body, path: path, clientID: clientID, time: time, with: providerPublicKey) else {
            throw .badSignature
        }
        // Compared on the bytes: String equality is canonical equivalence.
        guard clientID.utf8.elementsEqual(self.clientID.utf8) else { throw .foreignClient }
        return try AMSNotificationBody.parse(body)
    }
}
