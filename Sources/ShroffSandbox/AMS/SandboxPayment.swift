import Foundation

/// A payment as the emulated provider keeps it.
public struct SandboxPayment: Sendable, Equatable {
    public enum Status: String, Sendable {
        case processing = "PROCESSING"
        case success = "SUCCESS"
        case fail = "FAIL"
        case cancelled = "CANCELLED"
    }

    public let paymentRequestID: String
    public let paymentID: String
    public let clientID: String
    public let productCode: String
    public let currency: String
    /// Minor units, as AMS writes amounts.
    public let value: Int64
    public let requestedWallet: String
    public let presentmentMode: String?
    public let notifyURL: String?
    public let redirectURL: String?
    public let expiresAt: Date?
    public let settlementCurrency: String?
    /// `order.merchant.merchantName` and `order.orderDescription`, shown on the shopper's pages.
    public let merchantName: String?
    public let orderDescription: String?
    public let createTime: Date
    public var status: Status
    public var resultCode: String?
    public var paymentTime: Date?
    public var walletUsed: String?

    var isOrderCode: Bool { productCode == "IN_STORE_PAYMENT" }
}
