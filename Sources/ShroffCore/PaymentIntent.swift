import Foundation

/// Status of a payment intent, as in the seeds. PENDING → SUCCEEDED | CANCELLED, nothing else.
public enum PaymentStatus: String, Sendable, Codable, CaseIterable {
    case pending = "PENDING"
    case succeeded = "SUCCEEDED"
    case cancelled = "CANCELLED"

    public var isFinal: Bool { self != .pending }
}

/// What the merchant must do next to let the shopper pay, with what the provider said about how
/// (seed 002's `redirectActionForm` and `orderCodeForm`).
public struct NextAction: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case redirect
        case renderQRCode = "render_qrcode"
    }

    public let type: Kind
    /// redirect: the page to send the shopper to; render_qrcode: the code value to show.
    public let url: String
    /// redirect: `POST` when the browser must post `formFields` to `url`; nil means GET.
    public var method: String?
    /// redirect with POST: the form fields the provider asked to post.
    public var formFields: [String: String]?
    /// render_qrcode: `QRCODE` or `BARCODE`, when the provider says.
    public var codeType: String?
    /// render_qrcode: the provider's display hint (e.g. `BIGIMAGE`, `SMALLIMAGE`, `TEXT`).
    public var displayType: String?

    public init(
        type: Kind, url: String, method: String? = nil, formFields: [String: String]? = nil, codeType: String? = nil,
        displayType: String? = nil
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

    /// Everything but type and url, as stored beside them (nil when there is nothing more).
    public var storedDetails: String? {
        guard method != nil || formFields != nil || codeType != nil || displayType != nil else { return nil }
        let details = NextAction(type: type, url: "", method: method, formFields: formFields, codeType: codeType, displayType: displayType)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(details)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The action as stored: its type, url and `storedDetails`.
    /// Read through `JSONValue` (by hand): `JSONDecoder` here was a thirtieth of a query's CPU.
    public static func stored(type: Kind, url: String, details: String?) -> NextAction {
        guard let details, case .object(let fields)? = try? JSONValue.decode(Array(details.utf8)) else {
            return NextAction(type: type, url: url)
        }
        func text(_ key: String) -> String? {
            if case .string(let value)? = fields[key] { value } else { nil }
        }
        var formFields: [String: String]?
        if case .object(let form)? = fields[CodingKeys.formFields.stringValue] {
            formFields = form.compactMapValues { if case .string(let value) = $0 { value } else { nil } }
        }
        return NextAction(
            type: type, url: url, method: text(CodingKeys.method.stringValue), formFields: formFields,
            codeType: text(CodingKeys.codeType.stringValue), displayType: text(CodingKeys.displayType.stringValue)
        )
    }
}

/// How the shopper pays: the channel (`payment_method.type`), its flow and the flow's options.
public struct PaymentMethodSpec: Sendable, Equatable, Codable {
    public enum Channel: String, Sendable, Codable { case aplus, alipayhk }
    public enum Flow: String, Sendable, Codable {
        case cashier
        case csbQRCode = "csb_qrcode"
        case mobileWeb = "mobile_web"
    }

    public var channel: Channel
    public var flow: Flow
    /// `aplus.payment_method` (CONNECT_WALLET or a wallet of seed 002) or `alipayhk.payment_method` (ALIPAYCN/ALIPAYHK).
    public var wallet: String
    public var presentmentMode: String?
    public var terminalType: String?
    public var osType: String?
    public var settlementCurrency: String?

    public init(
        channel: Channel, flow: Flow, wallet: String, presentmentMode: String? = nil,
        terminalType: String? = nil, osType: String? = nil, settlementCurrency: String? = nil
    ) {
        self.channel = channel
        self.flow = flow
        self.wallet = wallet
        self.presentmentMode = presentmentMode
        self.terminalType = terminalType
        self.osType = osType
        self.settlementCurrency = settlementCurrency
    }
}

/// A merchant's payment intent: one order to be paid once.
public struct PaymentIntent: Sendable, Equatable {
    public var orderID: String
    public var merchantUID: Int64
    public var merchantOrderID: String
    public var amount: Money
    public var description: String
    public var notifyURL: String?
    public var returnURL: String?
    public var method: PaymentMethodSpec
    public var status: PaymentStatus
    public var nextAction: NextAction?
    public var createTime: Date
    public var expiresAt: Date
    public var payTime: Date?
    /// The provider's id of the payment, once it answered.
    public var providerPaymentID: String?
    /// The wallet that actually paid, once known.
    public var walletUsed: String?
    public var settleCurrency: String?
    /// The provider's result code when the payment failed.
    public var failureCode: String?
    public var refundedMinorUnits: Int64
    /// Hash of the create parameters, to tell a retry from a conflicting reuse of merchant_order_id.
    public var requestFingerprint: String
    /// When the gateway first asks the provider about the payment if no result has arrived.
    public var firstCheckAt: Date?
    /// mobile_web: when the latest WAP URL issued for the intent stops being able to open a trade
    /// (issue time plus its `timeout_rule`; never after `expiresAt`). Nil while none was issued.
    public var tradeLinkClosesAt: Date?
    /// When the provider reported the payment paid although the intent was already CANCELLED (or
    /// expired): the intent stays CANCELLED and the money is refunded automatically.
    public var latePaymentTime: Date?

    public init(
        orderID: String, merchantUID: Int64, merchantOrderID: String, amount: Money, description: String,
        notifyURL: String?, returnURL: String?, method: PaymentMethodSpec, status: PaymentStatus = .pending,
        nextAction: NextAction? = nil, createTime: Date, expiresAt: Date, payTime: Date? = nil,
        providerPaymentID: String? = nil, walletUsed: String? = nil, settleCurrency: String? = nil,
        failureCode: String? = nil, refundedMinorUnits: Int64 = 0, requestFingerprint: String, firstCheckAt: Date? = nil,
        tradeLinkClosesAt: Date? = nil, latePaymentTime: Date? = nil
    ) {
        self.orderID = orderID
        self.merchantUID = merchantUID
        self.merchantOrderID = merchantOrderID
        self.amount = amount
        self.description = description
        self.notifyURL = notifyURL
        self.returnURL = returnURL
        self.method = method
        self.status = status
        self.nextAction = nextAction
        self.createTime = createTime
        self.expiresAt = expiresAt
        self.payTime = payTime
        self.providerPaymentID = providerPaymentID
        self.walletUsed = walletUsed
        self.settleCurrency = settleCurrency
        self.failureCode = failureCode
        self.refundedMinorUnits = refundedMinorUnits
        self.requestFingerprint = requestFingerprint
        self.firstCheckAt = firstCheckAt
        self.tradeLinkClosesAt = tradeLinkClosesAt
        self.latePaymentTime = latePaymentTime
    }

    /// Whether money was taken and can be given back: SUCCEEDED, or paid after it was cancelled.
    public var holdsMoney: Bool { status == .succeeded || (status == .cancelled && latePaymentTime != nil) }

    /// The `merchant_refund_id` of the automatic refund of a payment made after the cancel: the colon
    /// is refused in merchants' own ids, so it can never collide with one.
    public var latePaymentRefundID: String { "auto:" + orderID }

    /// The settlement currency the query and the webhooks both answer: the provider's figure once
    /// reported, else the one requested or the merchant's default (set at creation). Intents stored
    /// before merchants had a default fall back to the requested or the order currency.
    public var answeredSettleCurrency: String {
        settleCurrency ?? method.settlementCurrency ?? amount.currency.code
    }
}
