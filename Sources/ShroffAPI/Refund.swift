/// A refund as the merchant API answers it (the document's `Refund` schema).
public struct Refund: Sendable, Equatable, Codable {
    public let refundID: String
    public let merchantRefundID: String
    public let orderID: String
    public let amount: String
    public let currency: String
    /// PROCESSING, SUCCEEDED or FAILED.
    public let status: String
    public let createTime: String
    public let finishTime: String?
    public let reason: String?
    public let failureCode: String?
    /// Once the provider's settlement files named the refund: its provider id, returned fee and settlement.
    public let settlement: Settlement?

    public init(
        refundID: String, merchantRefundID: String, orderID: String, amount: String, currency: String, status: String,
        createTime: String, finishTime: String?, reason: String?, failureCode: String?, settlement: Settlement? = nil
    ) {
        self.refundID = refundID
        self.merchantRefundID = merchantRefundID
        self.orderID = orderID
        self.amount = amount
        self.currency = currency
        self.status = status
        self.createTime = createTime
        self.finishTime = finishTime
        self.reason = reason
        self.failureCode = failureCode
        self.settlement = settlement
    }

    enum CodingKeys: String, CodingKey {
        case amount, currency, status, reason, settlement
        case refundID = "refund_id"
        case merchantRefundID = "merchant_refund_id"
        case orderID = "order_id"
        case createTime = "create_time"
        case finishTime = "finish_time"
        case failureCode = "failure_code"
    }
}

/// `authentication/login`'s answer (the document's `Login` schema).
public struct Login: Sendable, Equatable, Codable {
    public let token: String
    /// Always `Bearer`.
    public let tokenType: String
    public let expiresAt: String
    public let expiresIn: Int64

    public init(token: String, tokenType: String, expiresAt: String, expiresIn: Int64) {
        self.token = token
        self.tokenType = tokenType
        self.expiresAt = expiresAt
        self.expiresIn = expiresIn
    }

    enum CodingKeys: String, CodingKey {
        case token
        case tokenType = "token_type"
        case expiresAt = "expires_at"
        case expiresIn = "expires_in"
    }
}
