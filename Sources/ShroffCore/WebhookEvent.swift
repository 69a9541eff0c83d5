import Foundation

/// A merchant notification written to the outbox in the same transaction as the change that causes it.
public struct WebhookEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case paymentSuccess = "payment_success"
        case paymentCancelled = "payment_cancelled"
        case refundSuccess = "refund_success"
        case refundFailed = "refund_failed"
    }

    /// Stable across every delivery attempt (`webhook-id`).
    public let id: String
    public let merchantUID: Int64
    public let orderID: String
    public let kind: Kind
    /// The exact JSON body to deliver: `{"notify_type": ..., "data": {...}}`.
    public let body: String
    public let createdAt: Date
    /// The intent's notify_url when the event happened; the merchant's default URL applies when nil.
    public let notifyURL: String?

    public init(id: String, merchantUID: Int64, orderID: String, kind: Kind, body: String, createdAt: Date, notifyURL: String?) {
        self.id = id
        self.merchantUID = merchantUID
        self.orderID = orderID
        self.kind = kind
        self.body = body
        self.createdAt = createdAt
        self.notifyURL = notifyURL
    }
}
