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

/// What `pa/settlements/list` is asked for: days (`YYYY-MM-DD`, inclusive) and a page.
public struct SettlementFilter: Sendable, Equatable {
    public var dateFrom: String?
    public var dateTo: String?
    public var cursor: String?
    public var limit: Int?

    public init(dateFrom: String? = nil, dateTo: String? = nil, cursor: String? = nil, limit: Int? = nil) {
        self.dateFrom = dateFrom
        self.dateTo = dateTo
        self.cursor = cursor
        self.limit = limit
    }

    var json: [String: Any] {
        var body: [String: Any] = [:]
        body["date_from"] = dateFrom
        body["date_to"] = dateTo
        body["cursor"] = cursor
        body["limit"] = limit
        return body
    }
}
