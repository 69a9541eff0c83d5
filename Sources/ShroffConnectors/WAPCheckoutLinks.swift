import Crypto
import Foundation
import ShroffCore

/// The gateway's own checkout link of a mobile_web intent, handed to the merchant as `next_action`
/// instead of a WAP URL: `<base>/checkout/h5/<order_id>?sig=<32 hex>`, the signature being the first
/// 128 bits of HMAC-SHA256 over the order id with a key the gateway keeps in its database. Stable
/// for an intent and unguessable without the key, so nobody can enumerate intents. Following it
/// makes the gateway check that the intent can still be paid before signing a fresh WAP URL.
public struct WAPCheckoutLinks: Sendable {
    public static let path = "/checkout/h5"
    let baseURL: String
    let key: [UInt8]

    public init(baseURL: String, key: [UInt8]) {
        self.baseURL = baseURL
        self.key = key
    }

    public func url(orderID: String) -> String {
        "\(baseURL)\(Self.path)/\(orderID)?sig=\(signature(orderID: orderID))"
    }

    /// Whether `signature` is the one of `orderID`, compared in constant time.
    public func isValid(orderID: String, signature presented: String) -> Bool {
        ConstantTime.equal(Array(signature(orderID: orderID).utf8), Array(presented.utf8))
    }

    func signature(orderID: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("wap-checkout-link:v1:\(orderID)".utf8), using: SymmetricKey(data: key))
        return mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
