import Foundation

/// Status of a refund: PROCESSING → SUCCEEDED | FAILED, nothing else.
public enum RefundStatus: String, Sendable, Codable, CaseIterable {
    case processing = "PROCESSING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
}

/// Money given back on a SUCCEEDED intent; partial, and several per intent.
public struct Refund: Sendable, Equatable {
    public var refundID: String
    public var merchantUID: Int64
    public var orderID: String
    public var merchantRefundID: String
    public var amount: Money
    public var reason: String?
    public var status: RefundStatus
    public var providerRefundID: String?
    public var failureCode: String?
    public var createTime: Date
    public var finishTime: Date?
    /// Hash of the create parameters, to tell a retry from a conflicting reuse of merchant_refund_id.
    public var requestFingerprint: String
    /// When the gateway first asks the provider about the refund if no result has arrived.
    public var firstCheckAt: Date?

    public init(
        refundID: String, merchantUID: Int64, orderID: String, merchantRefundID: String, amount: Money, reason: String?,
        status: RefundStatus = .processing, providerRefundID: String? = nil, failureCode: String? = nil,
        createTime: Date, finishTime: Date? = nil, requestFingerprint: String, firstCheckAt: Date? = nil
    ) {
        self.refundID = refundID
        self.merchantUID = merchantUID
        self.orderID = orderID
        self.merchantRefundID = merchantRefundID
        self.amount = amount
        self.reason = reason
        self.status = status
        self.providerRefundID = providerRefundID
        self.failureCode = failureCode
        self.createTime = createTime
        self.finishTime = finishTime
        self.requestFingerprint = requestFingerprint
        self.firstCheckAt = firstCheckAt
    }
}

/// Whether a new refund fits its intent. The stores ask inside the insert's transaction, with the
/// intent locked and the sum of its refunds that have not FAILED, so racing refunds cannot together
/// give back more than was paid.
public enum RefundAdmission: Sendable, Equatable {
    case admitted
    /// The intent holds no money (`PaymentIntent.holdsMoney`).
    case notRefundable(PaymentStatus)
    /// The refund would take the intent's refunds over its amount.
    case exceedsRefundable(remainingMinorUnits: Int64)

    public static func decide(_ refund: Refund, of intent: PaymentIntent, committedMinorUnits: Int64) -> RefundAdmission {
        guard intent.holdsMoney else { return .notRefundable(intent.status) }
        let remaining = intent.amount.minorUnits - committedMinorUnits
        guard refund.amount.minorUnits <= remaining else { return .exceedsRefundable(remainingMinorUnits: remaining) }
        return .admitted
    }
}

/// Something the provider said about a refund.
public enum RefundEvent: Sendable, Equatable {
    case providerSucceeded(time: Date, providerRefundID: String?)
    case providerFailed(code: String, time: Date)
    case providerAccepted(providerRefundID: String?)
}

public enum RefundTransition: Sendable, Equatable {
    case apply(Refund, notification: WebhookEvent.Kind?)
    case ignore(reason: String)
    case conflict(reason: String)
}

/// The one place that decides how a refund's status changes. Pure.
public enum RefundStateMachine {
    public static func transition(_ refund: Refund, on event: RefundEvent) -> RefundTransition {
        switch (refund.status, event) {
        case (.processing, .providerSucceeded(let time, let providerRefundID)):
            var next = refund
            next.status = .succeeded
            next.finishTime = time
            next.providerRefundID = providerRefundID ?? refund.providerRefundID
            return .apply(next, notification: .refundSuccess)
        case (.processing, .providerFailed(let code, let time)):
            var next = refund
            next.status = .failed
            next.failureCode = code
            next.finishTime = time
            return .apply(next, notification: .refundFailed)
        case (.processing, .providerAccepted(let providerRefundID)):
            guard let providerRefundID, providerRefundID != refund.providerRefundID else {
                return .ignore(reason: "nothing new")
            }
            var next = refund
            next.providerRefundID = providerRefundID
            return .apply(next, notification: nil)
        case (.succeeded, .providerSucceeded), (.failed, .providerFailed):
            return .ignore(reason: "already final")
        case (_, .providerAccepted):
            return .ignore(reason: "refund is final")
        case (.succeeded, .providerFailed):
            return .conflict(reason: "provider reports failed but the refund succeeded")
        case (.failed, .providerSucceeded):
            return .conflict(reason: "provider reports refunded but the refund failed")
        }
    }
}

/// A validated `refunds/create` request.
public struct CreateRefundRequest: Sendable, Equatable {
    public var orderID: String?
    public var merchantOrderID: String?
    public var merchantRefundID: String
    /// The amount as sent; parsed with the intent's currency once the intent is known.
    public var amountText: String
    public var reason: String?

    public static func validate(_ body: [String: JSONValue]) throws(GatewayError) -> CreateRefundRequest {
        let fields = FieldReader(body)
        let orderID = try fields.optionalString("order_id", maxLength: 32)
        let merchantOrderID = try fields.optionalString("merchant_order_id", maxLength: 32)
        guard orderID != nil || merchantOrderID != nil else {
            throw .invalidParameter("order_id", "order_id or merchant_order_id is required")
        }
        let merchantRefundID = try CreateIntentRequest.merchantReference(fields, "merchant_refund_id")
        let amountText = try fields.string("amount", maxLength: 32)
        let reason = try fields.optionalString("reason", maxLength: 256)
        return CreateRefundRequest(
            orderID: orderID, merchantOrderID: merchantOrderID, merchantRefundID: merchantRefundID,
            amountText: amountText, reason: reason
        )
    }

    /// The amount in the intent's currency, with the amount rules of intents.
    public func amount(in currency: Currency) throws(GatewayError) -> Money {
        do {
            return try Money.parse(amountText, currency: currency)
        } catch {
            throw CreateIntentRequest.amountError(error, field: "amount", currency: currency)
        }
    }
}
