import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ShroffCore

/// Where and as whom the gateway talks to the Alipay Global WAP gateway.
public struct WAPConfiguration: Sendable {
    /// The gateway endpoint, e.g. `https://intlmapi.alipay.com/gateway.do`.
    public var gatewayURL: String
    /// The partner id (16 digits, `2088…`).
    public var partner: String
    public var signType: WAPSignType
    /// The gateway's notification endpoint as the provider must call it.
    public var notifyURL: String
    /// Where the shopper's browser returns when the intent has no return_url.
    public var defaultReturnURL: String
    /// The gateway's checkout links, given to merchants in place of WAP URLs.
    public var checkoutLinks: WAPCheckoutLinks
    public var requestTimeout: TimeAmount

    public init(
        gatewayURL: String, partner: String, signType: WAPSignType, notifyURL: String, defaultReturnURL: String,
        checkoutLinks: WAPCheckoutLinks, requestTimeout: TimeAmount = .seconds(15)
    ) {
        self.gatewayURL = gatewayURL
        self.partner = partner
        self.signType = signType
        self.notifyURL = notifyURL
        self.defaultReturnURL = defaultReturnURL
        self.checkoutLinks = checkoutLinks
        self.requestTimeout = requestTimeout
    }
}

/// The gateway's client of the WAP gateway (`create_forex_trade_wap` and friends, providers.md §2).
public struct WAPClient: PaymentProvider, TradeLinkIssuer {
    public let configuration: WAPConfiguration
    let httpClient: HTTPClient
    let logger: Logger

    public init(configuration: WAPConfiguration, httpClient: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The WAP gateway's timeout_rule values.
    static let timeoutRules: [(minutes: Int, text: String)] = [
        (5, "5m"), (10, "10m"), (15, "15m"), (30, "30m"), (60, "1h"), (120, "2h"), (180, "3h"), (300, "5h"),
        (600, "10h"), (720, "12h"), (1440, "1d"),
    ]

    /// No server call creates a WAP payment: the shopper's browser carries the signed parameters. A
    /// signed URL can open a trade whenever it is opened, so the merchant gets the gateway's checkout
    /// link instead, which signs a fresh URL (`tradeLink`) only while the intent can be paid.
    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        let url = configuration.checkoutLinks.url(orderID: request.intent.orderID)
        return .awaitingShopper(NextAction(type: .redirect, url: url), providerPaymentID: nil)
    }

    /// A `create_forex_trade_wap` URL whose `timeout_rule` is the longest the protocol can express
    /// within the intent's remaining time (rounded down), so the trade never outlives the intent;
    /// nil when less than the shortest rule (5 minutes) remains.
    public func tradeLink(for intent: PaymentIntent, now: Date) throws -> TradeLink? {
        let remainingMinutes = Int((intent.expiresAt.timeIntervalSince(now) / 60).rounded(.down))
        guard let rule = Self.timeoutRules.last(where: { $0.minutes <= remainingMinutes }) else { return nil }
        var parameters = [
            "service": "create_forex_trade_wap",
            "partner": configuration.partner,
            "_input_charset": "UTF-8",
            "notify_url": configuration.notifyURL,
            "return_url": intent.returnURL ?? configuration.defaultReturnURL,
            "subject": String(intent.description.prefix(256)),
            "body": String(intent.description.prefix(400)),
            "out_trade_no": intent.orderID,
            "currency": intent.amount.currency.code,
            "total_fee": Self.fee(intent.amount),
            "product_code": "NEW_WAP_OVERSEAS_SELLER",
            "payment_inst": WalletName.wap(intent.method.wallet),
            "timeout_rule": rule.text,
        ]
        parameters["sign"] = try WAPSignature.sign(parameters, with: configuration.signType)
        parameters["sign_type"] = configuration.signType.name
        let url = configuration.gatewayURL + "?" + WAPSignature.query(parameters)
        return TradeLink(url: url, closesAt: now.addingTimeInterval(TimeInterval(rule.minutes * 60)))
    }

    /// Major units with the currency's decimals (2 for HKD, 0 for JPY/KRW).
    static func fee(_ money: Money) -> String {
        let exponent = money.currency.exponent
        guard exponent > 0 else { return String(money.minorUnits) }
        var divisor: Int64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let fraction = String(money.minorUnits % divisor)
        return "\(money.minorUnits / divisor)." + String(repeating: "0", count: exponent - fraction.count) + fraction
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        let answer = try await call("single_trade_query", ["out_trade_no": intent.orderID], reference: intent.orderID)
        guard answer.isSuccess else {
            if answer.error == "TRADE_NOT_EXIST" { return .notFound }
            throw ProviderUnavailable(reason: "single_trade_query failed: \(answer.error ?? "?")", isTransportFailure: false)
        }
        switch answer.value("trade_status") {
        case "TRADE_FINISHED", "TRADE_SUCCESS":
            let payTime = answer.value("gmt_payment").flatMap(Self.parseTime) ?? Date()
            return .succeeded(payTime: payTime, wallet: WalletName.ams(intent.method.wallet), settleCurrency: nil)
        case "TRADE_CLOSED":
            return .failed(code: "TRADE_CLOSED")
        default:
            return .processing
        }
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        let answer = try await call("close_trade", ["out_order_no": intent.orderID], reference: intent.orderID)
        if answer.isSuccess { return .cancelled }
        if answer.error == "TRADE_NOT_EXIST" { return .notFound }
        return try .afterRefusal(try await inquirePayment(intent), refusal: "close_trade refused (\(answer.error ?? "?"))")
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        let refund = request.refund
        let answer = try await call("forex_refund", [
            "out_return_no": refund.refundID,
            "out_trade_no": request.intent.orderID,
            "return_amount": Self.fee(refund.amount),
            "currency": refund.amount.currency.code,
            "gmt_return": Self.refundTime(Date()),
            "reason": refund.reason ?? "refund",
            "product_code": "NEW_WAP_OVERSEAS_SELLER",
        ], reference: request.intent.orderID)
        if answer.isSuccess { return .succeeded(time: Date(), providerRefundID: nil) }
        // A system error, or an answer without a code, says nothing about whether the refund was
        // made: it stays PROCESSING and the same out_return_no is sent again (idempotent).
        guard let code = answer.error, !Self.undecidedErrors.contains(code) else {
            throw ProviderUnavailable(reason: "forex_refund outcome unknown (\(answer.error ?? "no error code"))", isTransportFailure: false)
        }
        return .rejected(code: code, message: "forex_refund refused")
    }

    /// Error codes of the WAP gateway that do not refuse anything: the provider could not decide.
    static let undecidedErrors: Set<String> = ["SYSTEM_ERROR", "SYSTEM_EXCEPTION"]

    /// The protocol has no refund inquiry: an unknown outcome is settled by sending the same
    /// `out_return_no` again, which the provider treats idempotently.
    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        .notFound
    }

    /// Confirms a notification with the provider (`notify_verify` answers `true`).
    public func confirmNotification(notifyID: String) async throws -> Bool {
        var parameters = ["service": "notify_verify", "partner": configuration.partner, "notify_id": notifyID]
        parameters["_input_charset"] = "UTF-8"
        let text = try await get(parameters, reference: notifyID)
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
    }

    // MARK: Transport

    func call(_ service: String, _ arguments: [String: String], reference: String) async throws -> WAPXMLAnswer {
        var parameters = arguments
        parameters["service"] = service
        parameters["partner"] = configuration.partner
        parameters["_input_charset"] = "UTF-8"
        parameters["sign"] = try WAPSignature.sign(parameters, with: configuration.signType)
        parameters["sign_type"] = configuration.signType.name
        return WAPXMLAnswer(text: try await get(parameters, reference: reference))
    }

    func get(_ parameters: [String: String], reference: String) async throws -> String {
        let service = parameters["service"] ?? "?"
        var request = HTTPClientRequest(url: configuration.gatewayURL + "?" + WAPSignature.query(parameters))
        request.method = .GET
        let metadata: Logger.Metadata = ["provider": "wap", "service": "\(service)", "reference": "\(reference)"]
        do {
            let response = try await httpClient.execute(request, timeout: configuration.requestTimeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                logger.warning("provider answered an HTTP error", metadata: metadata.merging(["http_status": "\(response.status.code)"]) { $1 })
                throw ProviderUnavailable(reason: "HTTP \(response.status.code) from \(service)")
            }
            return String(buffer: body)
        } catch let error as ProviderUnavailable {
            throw error
        } catch {
            logger.warning("provider unreachable", metadata: metadata.merging(["error": "\(String(describing: type(of: error)))"]) { $1 })
            throw ProviderUnavailable(reason: "\(service) failed: \(type(of: error))")
        }
    }

    static func refundTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// `yyyy-MM-dd HH:mm:ss` in Beijing time, as the WAP gateway writes times.
    static func parseTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text)
    }
}

/// Verifies and reads `trade_status_sync` notifications.
public struct WAPNotificationReceiver: Sendable {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case badSignature
        case unreadable
        case notConfirmed
        case unsupportedStatus(String)

        public var description: String {
            switch self {
            case .badSignature: "notification signature does not verify"
            case .unreadable: "notification lacks out_trade_no, trade_status or notify_id"
            case .notConfirmed: "notify_verify did not confirm the notification"
            case .unsupportedStatus(let status): "trade_status \(status) is not handled"
            }
        }
    }

    public struct Report: Sendable, Equatable {
        public let orderID: String
        public let totalFee: String?
        public let currency: String?
        /// The provider's trade number, when the notification carries one.
        public let tradeNo: String?
        public let event: PaymentEvent
    }

    let client: WAPClient

    public init(client: WAPClient) {
        self.client = client
    }

    /// Verifies the form's signature, confirms it with `notify_verify`, and reads it.
    public func report(form: [String: String]) async throws -> Report {
        guard WAPSignature.verify(form, with: client.configuration.signType) else { throw Rejection.badSignature }
        guard let orderID = form["out_trade_no"], let status = form["trade_status"], let notifyID = form["notify_id"] else {
            throw Rejection.unreadable
        }
        guard try await client.confirmNotification(notifyID: notifyID) else { throw Rejection.notConfirmed }
        let event: PaymentEvent
        switch status {
        case "TRADE_FINISHED", "TRADE_SUCCESS":
            let time = (form["gmt_payment"] ?? form["notify_time"]).flatMap(WAPClient.parseTime) ?? Date()
            event = .providerSucceeded(payTime: time, wallet: form["payment_inst"].map(WalletName.ams), settleCurrency: nil)
        case "TRADE_CLOSED":
            event = .providerFailed(code: "TRADE_CLOSED")
        default:
            throw Rejection.unsupportedStatus(status)
        }
        return Report(orderID: orderID, totalFee: form["total_fee"], currency: form["currency"], tradeNo: form["trade_no"], event: event)
    }

    /// Whether the notified amount is the intent's. Both must be present: a report that cannot be
    /// checked is not trusted. Compared on the bytes.
    public static func matches(totalFee: String?, currency: String?, _ money: Money) -> Bool {
        guard let totalFee, let currency else { return false }
        return totalFee.utf8.elementsEqual(WAPClient.fee(money).utf8) && currency.utf8.elementsEqual(money.currency.code.utf8)
    }
}
