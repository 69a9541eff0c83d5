import Crypto
import Foundation

// Fingerprints tell an identical retry from a conflicting reuse of a merchant's id. Kept apart
// from the validation rules so that those build (and are fuzzed) without a crypto library.

extension CreateIntentRequest {
    /// Hash of every parameter that defines the payment, so an identical retry is recognised.
    public var fingerprint: String {
        let parts: [String] = [
            amount.currency.code, String(amount.minorUnits), merchantOrderID, description, notifyURL ?? "",
            returnURL ?? "", method.channel.rawValue, method.flow.rawValue, method.wallet,
            method.presentmentMode ?? "", method.terminalType ?? "", method.osType ?? "",
            method.settlementCurrency ?? "", expireInSeconds.map(String.init) ?? "",
        ]
        return Self.hash(parts)
    }

    static func hash(_ parts: [String]) -> String {
        // Unit separators keep "a|b" + "c" distinct from "a" + "b|c".
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8))
        return Hex.lowercase(digest)
    }
}

extension CreateRefundRequest {
    public func fingerprint(orderID: String, amount: Money) -> String {
        CreateIntentRequest.hash([orderID, merchantRefundID, amount.currency.code, String(amount.minorUnits), reason ?? ""])
    }
}
