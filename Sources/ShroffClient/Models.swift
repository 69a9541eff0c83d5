import Foundation

/// How the shopper pays: the channel and flow of seeds 000, 001 and 003.
public enum PaymentMethod: Sendable, Equatable {
    /// Alipay+ cashier on a website (seed 000). `wallet` is CONNECT_WALLET or a specific wallet (needs TILE).
    case aplusCashier(
        terminalType: String = "WEB", presentmentMode: String? = nil, wallet: String? = nil, osType: String? = nil,
        settlementCurrency: String? = nil
    )
    /// AlipayHK in-store QR code (seed 001); `wallet` is ALIPAYCN or ALIPAYHK.
    case alipayHKQRCode(wallet: String)
    /// AlipayHK H5 in a mobile browser (seed 003).
    case alipayHKMobileWeb(wallet: String)

    var json: [String: Any] {
        switch self {
        case .aplusCashier(let terminalType, let presentmentMode, let wallet, let osType, let settlementCurrency):
            var aplus: [String: Any] = ["flow": "cashier", "terminal_type": terminalType]
            aplus["presentment_mode"] = presentmentMode
            aplus["payment_method"] = wallet
            aplus["os_type"] = osType
            aplus["settlement_currency"] = settlementCurrency
            return ["type": "aplus", "aplus": aplus]
        case .alipayHKQRCode(let wallet):
            return ["type": "alipayhk", "alipayhk": ["flow": "csb_qrcode", "payment_method": wallet]]
        case .alipayHKMobileWeb(let wallet):
            return ["type": "alipayhk", "alipayhk": ["flow": "mobile_web", "payment_method": wallet]]
        }
    }
}

/// `payment_intents/create`. Amounts are decimal strings in major units ("10.50" HKD).
public struct CreatePaymentIntent: Sendable, Equatable {
    public var amount: String
    public var currency: String
    public var merchantOrderID: String
    public var description: String
    public var paymentMethod: PaymentMethod
    public var notifyURL: String?
    public var returnURL: String?
    public var expireInSeconds: Int?

    public init(
        amount: String, currency: String, merchantOrderID: String, description: String, paymentMethod: PaymentMethod,
        notifyURL: String? = nil, returnURL: String? = nil, expireInSeconds: Int? = nil
    ) {
        self.amount = amount
        self.currency = currency
        self.merchantOrderID = merchantOrderID
        self.description = description
        self.paymentMethod = paymentMethod
        self.notifyURL = notifyURL
        self.returnURL = returnURL
        self.expireInSeconds = expireInSeconds
    }

    var json: [String: Any] {
        var body: [String: Any] = [
            "amount": amount, "currency": currency, "merchant_order_id": merchantOrderID, "description": description,
            "payment_method": paymentMethod.json,
        ]
        body["notify_url"] = notifyURL
        body["return_url"] = returnURL
        body["expire_in_seconds"] = expireInSeconds
        return body
    }
}

public struct NextAction: Sendable, Equatable, Codable {
    public let type: String
    public let url: String
    /// redirect: POST when the browser must post `formFields` to `url`; nil means GET.
    public let method: String?
    public let formFields: [String: String]?
    /// render_qrcode: QRCODE or BARCODE, and the provider's display hint.
    public let codeType: String?
    public let displayType: String?

    enum CodingKeys: String, CodingKey {
        case type, url, method
        case formFields = "form_fields"
        case codeType = "code_type"
        case displayType = "display_type"
    }
}

/// A payment intent as the gateway answers it.
public struct PaymentIntent: Sendable, Equatable, Codable {
    public let orderID: String
    public let merchantOrderID: String
    public let amount: String
    public let currency: String
    /// PENDING, SUCCEEDED or CANCELLED.
    public let status: String
    public let createTime: String
    public let expiresAt: String
    public let nextAction: NextAction?
    public let payTime: String?
    public let refundedAmount: String
    public let paymentMethod: String?
    public let settleCurrency: String?
    public let failureCode: String?
    /// true when the shopper paid after the intent's expiry (the payment stands).
    public let paidAfterExpiry: Bool?
    /// true when money landed after the intent was cancelled: it is refunded automatically.
    public let paidAfterCancel: Bool?

    enum CodingKeys: String, CodingKey {
        case amount, currency, status
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

/// `refunds/create`.
public struct CreateRefund: Sendable, Equatable {
    public var orderID: String?
    public var merchantOrderID: String?
    public var merchantRefundID: String
    public var amount: String
    public var reason: String?

    public init(orderID: String? = nil, merchantOrderID: String? = nil, merchantRefundID: String, amount: String, reason: String? = nil) {
        self.orderID = orderID
        self.merchantOrderID = merchantOrderID
        self.merchantRefundID = merchantRefundID
        self.amount = amount
        self.reason = reason
    }

    var json: [String: Any] {
        var body: [String: Any] = ["merchant_refund_id": merchantRefundID, "amount": amount]
        body["order_id"] = orderID
        body["merchant_order_id"] = merchantOrderID
        body["reason"] = reason
        return body
    }
}

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

    enum CodingKeys: String, CodingKey {
        case amount, currency, status, reason
        case refundID = "refund_id"
        case merchantRefundID = "merchant_refund_id"
        case orderID = "order_id"
        case createTime = "create_time"
        case finishTime = "finish_time"
        case failureCode = "failure_code"
    }
}

public struct WebhookAttempt: Sendable, Equatable, Codable {
    public let attempt: Int
    public let time: String
    public let url: String
    public let httpStatus: Int?
    public let latencyMs: Int
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case attempt, time, url, error
        case httpStatus = "http_status"
        case latencyMs = "latency_ms"
    }
}

public struct WebhookDelivery: Sendable, Equatable, Codable {
    public let webhookID: String
    public let notifyType: String
    public let orderID: String
    public let status: String
    public let notifyURL: String?
    public let createdAt: String
    public let attemptCount: Int
    public let attempts: [WebhookAttempt]
    /// The delivered body, exactly as JSON text would carry it.
    public let payload: RawJSON?

    enum CodingKeys: String, CodingKey {
        case status, attempts, payload
        case webhookID = "webhook_id"
        case notifyType = "notify_type"
        case orderID = "order_id"
        case notifyURL = "notify_url"
        case createdAt = "created_at"
        case attemptCount = "attempt_count"
    }
}

public struct WebhookDeliveryPage: Sendable, Equatable, Codable {
    public let deliveries: [WebhookDelivery]
    public let hasMore: Bool
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case deliveries
        case hasMore = "has_more"
        case nextCursor = "next_cursor"
    }
}

/// Filters of `webhooks/deliveries/list`.
public struct WebhookDeliveryFilter: Sendable, Equatable {
    public var orderID: String?
    public var status: String?
    public var cursor: String?
    public var limit: Int?

    public init(orderID: String? = nil, status: String? = nil, cursor: String? = nil, limit: Int? = nil) {
        self.orderID = orderID
        self.status = status
        self.cursor = cursor
        self.limit = limit
    }

    var json: [String: Any] {
        var body: [String: Any] = [:]
        body["order_id"] = orderID
        body["status"] = status
        body["cursor"] = cursor
        body["limit"] = limit
        return body
    }
}

/// A JSON value kept as text, so it can be printed or forwarded as is.
public struct RawJSON: Sendable, Equatable, Codable {
    public let text: String

    public init(text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(JSON.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(try JSONDecoder().decode(JSON.self, from: Data(text.utf8)))
    }
}

/// Any JSON document, for passing payloads through Codable unchanged.
indirect enum JSON: Sendable, Equatable, Codable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Int64.self) { self = .integer(number) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([JSON].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSON].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .integer(let number): try container.encode(number)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        case .object(let fields): try container.encode(fields)
        }
    }
}
