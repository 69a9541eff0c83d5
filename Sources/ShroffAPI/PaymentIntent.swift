/// A payment intent as the merchant API answers it: the document's `Intent` schema, decoded by the
/// SDK and encoded by the gateway from this one definition.
public struct PaymentIntent: Sendable, Equatable, Codable {
    public let orderID: String
    public let merchantOrderID: String
    /// A decimal string in major units ("10.50").
    public let amount: String
    public let currency: String
    /// PENDING, SUCCEEDED or CANCELLED.
    public let status: String
    public let createTime: String
    public let expiresAt: String
    /// Only while PENDING: what to do so the shopper can pay.
    public let nextAction: NextAction?
    public let payTime: String?
    public let refundedAmount: String
    /// The wallet the shopper paid with.
    public let paymentMethod: String?
    public let settleCurrency: String?
    public let failureCode: String?
    /// true when the shopper paid after the intent's expiry (the payment stands).
    public let paidAfterExpiry: Bool?
    /// true when money landed after the intent was cancelled: it is refunded automatically.
    public let paidAfterCancel: Bool?
    /// Once the provider's settlement files named the payment: its provider id, fee and settlement.
    public let settlement: Settlement?

    public init(
        orderID: String, merchantOrderID: String, amount: String, currency: String, status: String, createTime: String,
        expiresAt: String, nextAction: NextAction?, payTime: String?, refundedAmount: String, paymentMethod: String?,
        settleCurrency: String?, failureCode: String?, paidAfterExpiry: Bool?, paidAfterCancel: Bool?, settlement: Settlement? = nil
    ) {
        self.orderID = orderID
        self.merchantOrderID = merchantOrderID
        self.amount = amount
        self.currency = currency
        self.status = status
        self.createTime = createTime
        self.expiresAt = expiresAt
        self.nextAction = nextAction
        self.payTime = payTime
        self.refundedAmount = refundedAmount
        self.paymentMethod = paymentMethod
        self.settleCurrency = settleCurrency
        self.failureCode = failureCode
        self.paidAfterExpiry = paidAfterExpiry
        self.paidAfterCancel = paidAfterCancel
        self.settlement = settlement
    }

    enum CodingKeys: String, CodingKey {
        case amount, currency, status, settlement
        case orderID = "order_id"
        case merchantOrderID = "merchant_order_id"
        case createTime = "create_time"
        case expiresAt = "expires_at"
        case nextAction = "next_action"
        case payTime = "pay_time"
        case refundedAmount = "refunded_amount"
        case paymentMethod = "payment_method"
        case settleCurrency = "settle_currency"
        case failureCode = "failure_code"
        case paidAfterExpiry = "paid_after_expiry"
        case paidAfterCancel = "paid_after_cancel"
    }
}

/// The document's `NextAction` schema: a redirect (`url`, and for POST its `form_fields`) or a code
/// to render (`url` is the code value).
public struct NextAction: Sendable, Equatable, Codable {
    /// `redirect` or `render_qrcode`.
    public let type: String
    public let url: String
    /// redirect: POST when the browser must post `formFields` to `url`; nil means GET.
    public let method: String?
    public let formFields: [String: String]?
    /// render_qrcode: QRCODE or BARCODE, and the provider's display hint.
    public let codeType: String?
    public let displayType: String?

    public init(
        type: String, url: String, method: String?, formFields: [String: String]?, codeType: String?, displayType: String?
    ) {
        self.type = type
        self.url = url
        self.method = method
        self.formFields = formFields
        self.codeType = codeType
        self.displayType = displayType
    }

    enum CodingKeys: String, CodingKey {
        case type, url, method
        case formFields = "form_fields"
        case codeType = "code_type"
        case displayType = "display_type"
    }
}
