import Foundation

/// AMS `Amount`: the value is in minor units, as a string; a JSON number is accepted on receipt.
public struct AMSAmount: Codable, Sendable, Equatable {
    public var currency: String
    public var value: String

    public init(currency: String, value: String) {
        self.currency = currency
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currency = try container.decode(String.self, forKey: .currency)
        if let text = try? container.decode(String.self, forKey: .value) {
            value = text
        } else {
            value = String(try container.decode(Int64.self, forKey: .value))
        }
    }
}

public struct AMSResult: Codable, Sendable, Equatable {
    public var resultCode: String
    public var resultStatus: String
    public var resultMessage: String?

    public init(resultCode: String, resultStatus: String, resultMessage: String?) {
        self.resultCode = resultCode
        self.resultStatus = resultStatus
        self.resultMessage = resultMessage
    }
}

struct AMSPayRequest: Encodable {
    struct Order: Encodable {
        var referenceOrderId: String
        var orderDescription: String
        var orderAmount: AMSAmount
        var merchant: Merchant?
        var env: Env?
    }

    struct Merchant: Encodable {
        var referenceMerchantId: String
        var merchantMCC: String
        var merchantName: String
        var store: Store?
    }

    struct Store: Encodable {
        var referenceStoreId: String
        var storeName: String
        var storeMCC: String
    }

    struct Env: Encodable {
        var terminalType: String?
        var osType: String?
        var storeTerminalId: String?
        var storeTerminalRequestTime: String?
    }

    struct PaymentMethod: Encodable { var paymentMethodType: String }

    struct PaymentFactor: Encodable {
        var presentmentMode: String?
        var inStorePaymentScenario: String?
    }

    struct SettlementStrategy: Encodable { var settlementCurrency: String }

    var productCode: String
    var paymentRequestId: String
    var order: Order
    var paymentAmount: AMSAmount
    var paymentMethod: PaymentMethod
    var paymentFactor: PaymentFactor
    var paymentRedirectUrl: String?
    var paymentNotifyUrl: String
    var paymentExpiryTime: String
    var settlementStrategy: SettlementStrategy?
}

struct AMSPayResponse: Decodable {
    struct RedirectActionForm: Decodable {
        var method: String?
        var redirectUrl: String
        /// With POST: the fields to post, as the provider writes them (a JSON object or `k=v&…`).
        var parameters: String?
    }

    struct OrderCodeForm: Decodable {
        struct CodeDetail: Decodable {
            var codeValueType: String
            var codeValue: String
            var displayType: String?
        }

        var expireTime: String?
        var codeDetails: [CodeDetail]
    }

    var result: AMSResult
    var paymentRequestId: String?
    var paymentId: String?
    var paymentTime: String?
    var paymentCreateTime: String?
    var redirectActionForm: RedirectActionForm?
    var orderCodeForm: OrderCodeForm?
}

struct AMSInquiryRequest: Encodable {
    var paymentRequestId: String
}

struct AMSInquiryResponse: Decodable {
    var result: AMSResult
    var paymentStatus: String?
    var paymentResultCode: String?
    var paymentTime: String?
    var paymentMethodType: String?
    var paymentAmount: AMSAmount?
    var grossSettlementAmount: AMSAmount?
}

struct AMSCancelRequest: Encodable {
    var paymentRequestId: String
    var paymentId: String?
}

struct AMSCancelResponse: Decodable {
    var result: AMSResult
    var paymentId: String?
    var cancelTime: String?
}

struct AMSRefundRequest: Encodable {
    var refundRequestId: String
    var paymentId: String?
    var paymentRequestId: String
    var refundAmount: AMSAmount
    var refundReason: String?
    var refundNotifyUrl: String
}

struct AMSRefundResponse: Decodable {
    var result: AMSResult
    var refundId: String?
    var refundTime: String?
}

struct AMSRefundInquiryRequest: Encodable {
    var refundRequestId: String
}

struct AMSRefundInquiryResponse: Decodable {
    var result: AMSResult
    var refundStatus: String?
    var refundId: String?
    var refundTime: String?
    var refundAmount: AMSAmount?
}

/// `notifyRefund`: what the provider posts to `refundNotifyUrl`.
public struct AMSRefundNotification: Decodable, Sendable, Equatable {
    public var notifyType: String
    public var result: AMSResult?
    public var refundStatus: String
    public var refundRequestId: String
    public var refundId: String?
    public var refundAmount: AMSAmount?
    public var refundTime: String?
}

/// `notifyPayment`: what the provider posts to `paymentNotifyUrl`.
public struct AMSPaymentNotification: Decodable, Sendable, Equatable {
    public struct SettlementQuote: Decodable, Sendable, Equatable {
        public var currency: String?
        public var price: String?
    }

    public var notifyType: String
    public var result: AMSResult
    public var paymentRequestId: String
    public var paymentId: String?
    public var paymentAmount: AMSAmount?
    public var paymentCreateTime: String?
    public var paymentTime: String?
    public var paymentMethodType: String?
    public var settlementQuote: SettlementQuote?
    public var grossSettlementAmount: AMSAmount?
}
