import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import _CryptoExtras

/// A WAP partner (merchant account) the sandbox gateway accepts, with the keys it verifies requests by.
public struct SandboxWAPPartner: Sendable {
    /// The shared MD5 key (`sign_type=MD5` requests, and MD5 notifications to this partner).
    public var md5Key: String?
    /// The partner's RSA public key (PEM or base64 X.509) for `sign_type=RSA2` requests.
    public var rsaPublicKeyPEM: String?
    /// Shown on the wallet page as the merchant; the partner id when nil.
    public var displayName: String?

    public init(md5Key: String? = nil, rsaPublicKeyPEM: String? = nil, displayName: String? = nil) {
        self.md5Key = md5Key
        self.rsaPublicKeyPEM = rsaPublicKeyPEM
        self.displayName = displayName
    }
}

/// How the emulated Alipay Global WAP gateway is set up.
public struct SandboxWAPConfiguration: Sendable {
    /// Where shoppers' browsers reach the sandbox (the wallet page posts back there).
    public var publicBaseURL: String
    /// Partners by partner id (16 digits, `2088…`).
    public var partners: [String: SandboxWAPPartner]
    /// The provider's own key: it signs RSA2 notifications and return parameters.
    public var providerPrivateKeyPEM: String
    /// Delays before each notification attempt, each counted from the previous attempt.
    public var notificationSchedule: [Duration]

    /// providers.md §2, "8 times within 25 h": 0 s, then 4 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h
    /// (the last attempt 24 h 24 min after the first).
    public static let providerSchedule: [Duration] = [
        .zero, .seconds(240), .seconds(600), .seconds(600), .seconds(3600), .seconds(7200), .seconds(21_600), .seconds(54_000),
    ]

    public init(
        publicBaseURL: String, partners: [String: SandboxWAPPartner], providerPrivateKeyPEM: String,
        notificationSchedule: [Duration] = SandboxWAPConfiguration.providerSchedule
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.partners = partners
        self.providerPrivateKeyPEM = providerPrivateKeyPEM
        self.notificationSchedule = notificationSchedule
    }
}

/// The emulated Alipay Global WAP gateway (providers.md §2): `/gateway.do` with
/// `create_forex_trade_wap` (the H5 wallet page), `single_trade_query`, `close_trade`,
/// `forex_refund` and `notify_verify`; signed `trade_status_sync` notifications; test helpers.
/// Written independently of the gateway's WAP connector.
public final class SandboxWAPGateway: Sendable {
    struct PartnerKeys: Sendable {
        let md5Key: String?
        let rsaPublicKey: _RSA.Signing.PublicKey?
        let displayName: String?
    }

    let configuration: SandboxWAPConfiguration
    let providerKey: _RSA.Signing.PrivateKey
    let partners: [String: PartnerKeys]
    let book = SandboxWAPBook()
    let faults = SandboxFaults()
    let notifier: SandboxWAPNotifier
    let logger: Logger

    static let productCode = "NEW_WAP_OVERSEAS_SELLER"
    static let wallets: Set<String> = ["ALIPAYHK", "ALIPAYCN"]
    static let services: Set<String> = ["create_forex_trade_wap", "single_trade_query", "close_trade", "forex_refund", "notify_verify"]
    /// The `timeout_rule` values and their length; 12h when the parameter is absent.
    static let timeoutRules: [String: Duration] = [
        "5m": .seconds(300), "10m": .seconds(600), "15m": .seconds(900), "30m": .seconds(1800), "1h": .seconds(3600),
        "2h": .seconds(7200), "3h": .seconds(10_800), "5h": .seconds(18_000), "10h": .seconds(36_000), "12h": .seconds(43_200),
        "1d": .seconds(86_400),
    ]
    static let defaultTimeoutRule = "12h"

    public init(configuration: SandboxWAPConfiguration, httpClient: HTTPClient = .shared, logger: Logger) throws {
        self.configuration = configuration
        guard let providerKey = try? _RSA.Signing.PrivateKey(pemRepresentation: configuration.providerPrivateKeyPEM) else {
            throw SandboxSetupError(description: "sandbox WAP provider private key is not a valid RSA PEM key")
        }
        self.providerKey = providerKey
        var partners: [String: PartnerKeys] = [:]
        for (partner, settings) in configuration.partners {
            var rsaKey: _RSA.Signing.PublicKey?
            if let text = settings.rsaPublicKeyPEM {
                guard let key = Self.publicKey(text) else {
                    throw SandboxSetupError(description: "RSA public key of WAP partner \(partner) is not a valid RSA key")
                }
                rsaKey = key
            }
            if let md5Key = settings.md5Key, md5Key.isEmpty {
                throw SandboxSetupError(description: "MD5 key of WAP partner \(partner) is empty")
            }
            partners[partner] = PartnerKeys(md5Key: settings.md5Key, rsaPublicKey: rsaKey, displayName: settings.displayName)
        }
        self.partners = partners
        self.logger = logger
        self.notifier = SandboxWAPNotifier(
            book: book, schedule: configuration.notificationSchedule, httpClient: httpClient, logger: logger
        )
    }

    static func publicKey(_ text: String) -> _RSA.Signing.PublicKey? {
        if text.contains("-----BEGIN") { return try? _RSA.Signing.PublicKey(pemRepresentation: text) }
        return Data(base64Encoded: text.filter { !$0.isWhitespace }).flatMap { try? _RSA.Signing.PublicKey(derRepresentation: $0) }
    }

    /// Stops pending notification retries.
    public func shutdown() async {
        await notifier.cancelAll()
    }

    /// Mounts `/gateway.do` (GET, and POST with a form body), the wallet page's actions under
    /// `/sandbox/wap/...` and the test helpers under `/sandbox/v1/wap/...`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/gateway.do") { request, _ in try await self.gateway(request) }
        router.post("/gateway.do") { request, _ in try await self.gateway(request) }
        router.post("/sandbox/wap/pay/:outTradeNo") { request, context in
            try await self.pageAction(request, outTradeNo: context.parameters.get("outTradeNo") ?? "")
        }
        router.post("/sandbox/v1/wap/simulate") { request, _ in try await self.simulateRoute(request) }
        router.get("/sandbox/v1/wap/trades/:outTradeNo") { _, context in
            let outTradeNo = context.parameters.get("outTradeNo") ?? ""
            guard let trade = await self.book.trade(partner: nil, outTradeNo: outTradeNo, tradeNo: nil, now: Date()) else {
                return Self.jsonResponse(404, Self.jsonError("not_found", "no sandbox WAP trade with that out_trade_no"))
            }
            return Self.jsonResponse(200, await self.describe(trade))
        }
    }

    // MARK: - /gateway.do

    /// A refusal: `code` as the gateway writes it, the parameter at fault when there is one.
    struct Failure: Error {
        let code: String
        let parameter: String?
        let message: String

        init(_ code: String, parameter: String? = nil, _ message: String) {
            self.code = code
            self.parameter = parameter
            self.message = message
        }
    }

    func gateway(_ request: Request) async throws -> Response {
        var text = request.uri.query ?? ""
        if request.method == .post {
            let contentType = request.headers[.contentType]?.lowercased() ?? "application/x-www-form-urlencoded"
            let body = try await request.body.collect(upTo: 1 << 20)
            if contentType.hasPrefix("application/x-www-form-urlencoded") {
                text += "&" + String(buffer: body)
            }
        }
        guard let parsed = WAPSigning.parseForm(Substring(text)) else {
            return Self.xmlFailure(Failure("ILLEGAL_ARGUMENT", "The parameters are not valid URL encoding."))
        }
        let parameters = parsed.fields
        let service = parameters["service"] ?? ""
        do {
            if let duplicate = parsed.duplicate {
                throw Failure("ILLEGAL_ARGUMENT", parameter: duplicate, "The parameter is given more than once.")
            }
            guard !service.isEmpty else { throw Failure("ILLEGAL_ARGUMENT", parameter: "service", "The parameter is required.") }
            guard Self.services.contains(service) else { throw Failure("ILLEGAL_SERVICE", "The service is not available.") }
            if service == "notify_verify" { return Self.text(await notifyVerify(parameters) ? "true" : "false") }
            let (partner, signType) = try authenticate(parameters, service: service)
            if service != "create_forex_trade_wap", let injected = await faults.take(service) {
                switch injected.fault {
                case .latency: try? await Task.sleep(for: injected.latency)
                case .http500: return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "injected fault")))
                case .connectionReset: return SandboxProvider.droppedConnection()
                case .unknownResult: throw Failure("SYSTEM_ERROR", "Injected fault: the gateway is busy; nothing was done.")
                case .suppress, .duplicate: break
                }
            }
            switch service {
            case "create_forex_trade_wap": return try await create(parameters, partner: partner, signType: signType)
            case "single_trade_query": return try await query(parameters, partner: partner)
            case "close_trade": return try await close(parameters, partner: partner)
            default: return try await refund(parameters, partner: partner)
            }
        } catch let failure as Failure {
            if failure.code == "ILLEGAL_SIGN" {
                logger.warning("sandbox WAP gateway refused a request with a bad signature", metadata: [
                    "service": "\(service.prefix(40))", "partner": "\(parameters["partner"]?.prefix(32) ?? "-")",
                ])
            }
            return service == "create_forex_trade_wap" ? Self.errorPage(failure) : Self.xmlFailure(failure)
        }
    }

    /// Partner, charset, sign type and the signature itself.
    func authenticate(_ parameters: [String: String], service: String) throws -> (partner: String, signType: WAPSigning.SignType) {
        guard let partner = parameters["partner"], let keys = partners[partner] else {
            throw Failure("ILLEGAL_PARTNER", "The partner is not known to this gateway.")
        }
        if let charset = parameters["_input_charset"] {
            guard charset.lowercased() == "utf-8" else { throw Failure("ILLEGAL_CHARSET", "Only UTF-8 is supported.") }
        } else if service == "create_forex_trade_wap" {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "_input_charset", "The parameter is required.")
        }
        guard let signType = parameters["sign_type"].flatMap({ WAPSigning.SignType(rawValue: $0.uppercased()) }) else {
            throw Failure("ILLEGAL_SIGN_TYPE", "sign_type must be MD5 or RSA2.")
        }
        guard let sign = parameters["sign"], !sign.isEmpty else { throw Failure("ILLEGAL_SIGN", "The request is not signed.") }
        let valid: Bool
        switch signType {
        case .md5:
            guard let key = keys.md5Key else { throw Failure("ILLEGAL_SIGN_TYPE", "The partner has no MD5 key.") }
            valid = WAPSigning.md5Verify(parameters, sign: sign, key: key)
        case .rsa2:
            guard let key = keys.rsaPublicKey else { throw Failure("ILLEGAL_SIGN_TYPE", "The partner has no RSA public key.") }
            valid = WAPSigning.rsa2Verify(parameters, sign: sign, key: key)
        }
        guard valid else { throw Failure("ILLEGAL_SIGN", "The signature does not match the parameters.") }
        return (partner, signType)
    }

    static func required(_ parameters: [String: String], _ name: String, maxLength: Int = 1024) throws -> String {
        guard let value = parameters[name], !value.isEmpty else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is required.")
        }
        guard value.count <= maxLength else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is longer than \(maxLength) characters.")
        }
        return value
    }

    static func optional(_ parameters: [String: String], _ name: String, maxLength: Int) throws -> String? {
        guard let value = parameters[name], !value.isEmpty else { return nil }
        guard value.count <= maxLength else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is longer than \(maxLength) characters.")
        }
        return value
    }

    static func webURL(_ parameters: [String: String], _ name: String, required isRequired: Bool) throws -> String? {
        let value = isRequired ? try required(parameters, name) : try optional(parameters, name, maxLength: 1024)
        guard let value else { return nil }
        guard let url = URLComponents(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              !(url.host ?? "").isEmpty else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter must be an http(s) URL.")
        }
        return value
    }

    /// Merchant order numbers: letters, digits, `_`, `-`, `.`; at most 64.
    static func orderNumber(_ parameters: [String: String], _ name: String) throws -> String {
        let value = try required(parameters, name, maxLength: 64)
        let allowed = value.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-.".unicodeScalars.contains($0) }
        guard allowed else { throw Failure("ILLEGAL_ARGUMENT", parameter: name, "Use letters, digits, '_', '-' and '.'.") }
        return value
    }

    static func amount(_ parameters: [String: String], _ name: String, currency: String) throws -> Int64 {
        let text = try required(parameters, name, maxLength: 20)
        guard let value = WAPMoney.minorUnits(text, currency: currency), value > 0 else {
            let places = WAPMoney.decimals[currency] ?? 2
            throw Failure("ILLEGAL_ARGUMENT", parameter: name,
                          "The amount must be a positive number in major units with at most \(places) decimals for \(currency).")
        }
        return value
    }

    static func currency(_ parameters: [String: String], _ name: String = "currency") throws -> String {
        let value = try required(parameters, name, maxLength: 3)
        guard WAPMoney.decimals[value] != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The currency is not supported.")
        }
        return value
    }

    // MARK: create_forex_trade_wap

    func create(_ parameters: [String: String], partner: String, signType: WAPSigning.SignType) async throws -> Response {
        let notifyURL = try Self.webURL(parameters, "notify_url", required: true)!
        let outTradeNo = try Self.orderNumber(parameters, "out_trade_no")
        let currency = try Self.currency(parameters)
        let totalFee = try Self.amount(parameters, "total_fee", currency: currency)
        let productCode = try Self.required(parameters, "product_code")
        guard productCode == Self.productCode else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "product_code", "product_code must be \(Self.productCode).")
        }
        let wallet = try Self.required(parameters, "payment_inst")
        guard Self.wallets.contains(wallet) else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "payment_inst", "payment_inst must be ALIPAYHK or ALIPAYCN.")
        }
        let returnURL = try Self.webURL(parameters, "return_url", required: false)
        let subject = try Self.optional(parameters, "subject", maxLength: 256)
        let body = try Self.optional(parameters, "body", maxLength: 400)
        let rule = try Self.optional(parameters, "timeout_rule", maxLength: 8) ?? Self.defaultTimeoutRule
        guard let timeout = Self.timeoutRules[rule] else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "timeout_rule", "Use one of 5m, 10m, 15m, 30m, 1h, 2h, 3h, 5h, 10h, 12h, 1d.")
        }
        switch MagicAmount(minorUnits: totalFee) {
        case .unknownResult:
            throw Failure("SYSTEM_ERROR", "Magic amount …52: the gateway is busy; nothing was recorded.")
        case .riskRejected:
            throw Failure("RISK_REJECT", "Magic amount …54: the trade is refused by risk control; nothing was recorded.")
        default:
            break
        }
        let request = SandboxWAPBook.CreateRequest(
            partner: partner, outTradeNo: outTradeNo, signType: signType, currency: currency, totalFee: totalFee,
            paymentInst: wallet, subject: subject, body: body, notifyURL: notifyURL, returnURL: returnURL,
            timeoutRule: rule, timeout: timeout
        )
        switch await book.create(request, now: Date()) {
        case .trade(let trade):
            return tradePage(trade)
        case .conflict(let existing):
            throw Failure("DUPLICATE_OUT_TRADE_NO", parameter: "out_trade_no",
                          "This out_trade_no is already used by a trade of \(existing.currency) \(existing.totalFeeText) with \(existing.paymentInst).")
        }
    }

    // MARK: single_trade_query, close_trade, forex_refund

    func query(_ parameters: [String: String], partner: String) async throws -> Response {
        let outTradeNo = parameters["out_trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        let tradeNo = parameters["trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        guard outTradeNo != nil || tradeNo != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "out_trade_no", "out_trade_no or trade_no is required.")
        }
        guard let trade = await book.trade(partner: partner, outTradeNo: outTradeNo, tradeNo: tradeNo, now: Date()) else {
            throw Failure("TRADE_NOT_EXIST", "The trade does not exist.")
        }
        var fields: [(String, String)] = [
            ("currency", trade.currency), ("gmt_create", WAPTime.text(trade.createTime)), ("out_trade_no", trade.outTradeNo),
            ("payment_inst", trade.paymentInst), ("total_fee", trade.totalFeeText), ("trade_no", trade.tradeNo),
            ("trade_status", trade.status.rawValue),
        ]
        if let body = trade.body { fields.append(("body", body)) }
        if let subject = trade.subject { fields.append(("subject", subject)) }
        if let time = trade.gmtPayment { fields.append(("gmt_payment", WAPTime.text(time))) }
        if let time = trade.gmtClose { fields.append(("gmt_close", WAPTime.text(time))) }
        if !trade.refunds.isEmpty { fields.append(("refund_fee", WAPMoney.text(trade.refundedAmount, currency: trade.currency))) }
        let elements = fields.sorted { $0.0 < $1.0 }.map { "<\($0.0)>\(SandboxHTML.escape($0.1))</\($0.0)>" }.joined()
        return Self.xml(success: true, echo: parameters, response: "<trade>\(elements)</trade>")
    }

    func close(_ parameters: [String: String], partner: String) async throws -> Response {
        let outOrderNo = parameters["out_order_no"].flatMap { $0.isEmpty ? nil : $0 }
        let tradeNo = parameters["trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        guard outOrderNo != nil || tradeNo != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "out_order_no", "out_order_no or trade_no is required.")
        }
        switch await book.close(partner: partner, outTradeNo: outOrderNo, tradeNo: tradeNo, now: Date()) {
        case .closed:
            return Self.xml(success: true, echo: parameters, response: nil)
        case .failed(let code):
            throw Failure(code, code == "TRADE_NOT_EXIST" ? "The trade does not exist." : "A paid trade cannot be closed.")
        }
    }

    func refund(_ parameters: [String: String], partner: String) async throws -> Response {
        let outReturnNo = try Self.orderNumber(parameters, "out_return_no")
        let outTradeNo = try Self.required(parameters, "out_trade_no", maxLength: 64)
        let currency = try Self.currency(parameters)
        let amount = try Self.amount(parameters, "return_amount", currency: currency)
        let gmtReturn = try Self.required(parameters, "gmt_return", maxLength: 14)
        guard WAPTime.parseCompact(gmtReturn) != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "gmt_return", "gmt_return must be yyyyMMddHHmmss.")
        }
        if let productCode = parameters["product_code"], !productCode.isEmpty, productCode != Self.productCode {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "product_code", "product_code must be \(Self.productCode).")
        }
        let reason = try Self.optional(parameters, "reason", maxLength: 256)
        let request = SandboxWAPBook.RefundRequest(
            partner: partner, outTradeNo: outTradeNo, outReturnNo: outReturnNo, amount: amount, currency: currency,
            reason: reason, gmtReturn: gmtReturn
        )
        switch await book.refund(request, now: Date()) {
        case .refunded:
            return Self.xml(success: true, echo: parameters, response: nil)
        case .failed(let code):
            let messages = [
                "TRADE_NOT_EXIST": "The trade does not exist.",
                "TRADE_STATUS_NOT_AVAILD": "Only a paid (TRADE_FINISHED) trade can be refunded.",
                "CURRENCY_NOT_SAME": "The refund currency is not the trade's.",
                "RETURN_AMOUNT_EXCEED": "The refunds would exceed the trade's total_fee.",
                "DUPLICATE_OUT_RETURN_NO": "This out_return_no was used for another trade or amount.",
            ]
            throw Failure(code, messages[code] ?? "The refund is refused.")
        }
    }

    // MARK: notify_verify

    /// `true` for a notify id this gateway issued to that partner in the last 15 minutes.
    func notifyVerify(_ parameters: [String: String]) async -> Bool {
        guard let partner = parameters["partner"], partners[partner] != nil,
              let notifyID = parameters["notify_id"], !notifyID.isEmpty else { return false }
        return await book.verifyNotifyID(notifyID, partner: partner, now: Date())
    }

    // MARK: - The shopper's decision, notifications and the return

    enum CompletionResult {
        case done(SandboxWAPTrade)
        case notFound
        case notWaiting(SandboxWAPTrade.Status)
    }

    /// Moves a waiting trade to its final state and notifies (except magic amount `…53` when paid).
    func complete(partner: String?, outTradeNo: String, outcome: SandboxWAPBook.Outcome) async -> CompletionResult {
        switch await book.complete(partner: partner, outTradeNo: outTradeNo, outcome: outcome, now: Date()) {
        case .success(let trade):
            if trade.status == .finished, trade.magic == .silentSuccess {
                logger.info("sandbox WAP notification suppressed by magic amount", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
            } else {
                await notify(trade)
            }
            return .done(trade)
        case .failure(.notFound):
            return .notFound
        case .failure(.notWaiting(let status)):
            return .notWaiting(status)
        }
    }

    /// The signer of messages to this trade's partner: MD5 with the partner's key, or RSA2 with the provider's key.
    func signer(for trade: SandboxWAPTrade) -> SandboxWAPNotifier.Sign? {
        switch trade.signType {
        case .md5:
            guard let key = partners[trade.partner]?.md5Key else { return nil }
            return { WAPSigning.md5Sign($0, key: key) }
        case .rsa2:
            let key = providerKey
            return { try WAPSigning.rsa2Sign($0, key: key) }
        }
    }

    func notify(_ trade: SandboxWAPTrade) async {
        guard let sign = signer(for: trade) else {
            logger.error("sandbox WAP notification not sent: the partner has no key for its sign type", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
            return
        }
        var fields = [
            "notify_type": "trade_status_sync", "out_trade_no": trade.outTradeNo, "trade_no": trade.tradeNo,
            "total_fee": trade.totalFeeText, "currency": trade.currency, "trade_status": trade.status.rawValue,
            "payment_inst": trade.paymentInst,
        ]
        if let time = trade.gmtPayment { fields["gmt_payment"] = WAPTime.text(time) }
        if let time = trade.gmtClose { fields["gmt_close"] = WAPTime.text(time) }
        let injected = await faults.take("trade_status_sync")
        switch injected?.fault {
        case .suppress?:
            logger.info("sandbox WAP notification suppressed by fault injection", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
        case .duplicate?:
            await notifier.send(fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL)
            await notifier.send(fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL)
        default:
            await notifier.send(
                fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL,
                delay: injected?.fault == .latency ? injected?.latency ?? .zero : .zero
            )
        }
    }

    /// The trade's return_url with the synchronous return parameters added and signed (over every
    /// query parameter the URL then carries, its own included); nil without a return_url.
    func signedReturnURL(_ trade: SandboxWAPTrade) -> String? {
        guard let returnURL = trade.returnURL, var components = URLComponents(string: returnURL),
              let sign = signer(for: trade) else { return nil }
        var fields = WAPSigning.parseForm(Substring(components.percentEncodedQuery ?? ""))?.fields ?? [:]
        fields["out_trade_no"] = trade.outTradeNo
        fields["trade_no"] = trade.tradeNo
        fields["trade_status"] = trade.status.rawValue
        fields["total_fee"] = trade.totalFeeText
        fields["currency"] = trade.currency
        fields.removeValue(forKey: "sign")
        fields.removeValue(forKey: "sign_type")
        guard let signature = try? sign(fields) else { return nil }
        fields["sign"] = signature
        fields["sign_type"] = trade.signType.rawValue
        components.percentEncodedQuery = WAPSigning.encodeForm(fields)
        return components.string
    }

    // MARK: - Test helpers

    /// Drives a waiting trade as the wallet page's buttons do: `success` (Pay), `fail` (Decline),
    /// `cancel` (the shopper cancels in the wallet). Answers the HTTP status and JSON the
    /// `/sandbox/v1/wap/simulate` route answers.
    public func simulate(outTradeNo: String, outcome: String) async -> (status: Int, json: [String: Any]) {
        guard let outcome = SandboxWAPBook.Outcome(rawValue: outcome) else {
            return (400, Self.jsonError("invalid_parameter", "outcome: must be one of success, fail, cancel"))
        }
        switch await complete(partner: nil, outTradeNo: outTradeNo, outcome: outcome) {
        case .done(let trade):
            return (200, await describe(trade))
        case .notFound:
            return (404, Self.jsonError("not_found", "out_trade_no: no such sandbox WAP trade"))
        case .notWaiting(let status):
            return (409, Self.jsonError("invalid_state", "trade is \(status.rawValue), not WAIT_BUYER_PAY"))
        }
    }

    /// The trade with this out_trade_no (the most recent partner's), expired first if due.
    public func trade(outTradeNo: String) async -> SandboxWAPTrade? {
        await book.trade(partner: nil, outTradeNo: outTradeNo, tradeNo: nil, now: Date())
    }

    func simulateRoute(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonResponse(400, Self.jsonError("invalid_request", "body must be a JSON object"))
        }
        guard let outTradeNo = json["out_trade_no"] as? String, !outTradeNo.isEmpty else {
            return Self.jsonResponse(400, Self.jsonError("invalid_parameter", "out_trade_no is required"))
        }
        let answer = await simulate(outTradeNo: outTradeNo, outcome: json["outcome"] as? String ?? "")
        return Self.jsonResponse(answer.status, answer.json)
    }

    func describe(_ trade: SandboxWAPTrade) async -> [String: Any] {
        var fields: [String: Any] = [
            "partner": trade.partner, "out_trade_no": trade.outTradeNo, "trade_no": trade.tradeNo,
            "status": trade.status.rawValue, "total_fee": trade.totalFeeText, "currency": trade.currency,
            "payment_inst": trade.paymentInst, "sign_type": trade.signType.rawValue, "timeout_rule": trade.timeoutRule,
            "gmt_create": WAPTime.text(trade.createTime), "expires_at": WAPTime.text(trade.expiresAt),
            "notify_url": trade.notifyURL,
            "refunded_amount": WAPMoney.text(trade.refundedAmount, currency: trade.currency),
            "refunds": trade.refunds.map { refund -> [String: Any] in
                var item: [String: Any] = [
                    "out_return_no": refund.outReturnNo, "return_amount": WAPMoney.text(refund.amount, currency: refund.currency),
                    "currency": refund.currency, "gmt_return": refund.gmtReturn,
                ]
                if let reason = refund.reason { item["reason"] = reason }
                return item
            },
            "notification_attempts": await notifier.attemptCount(outTradeNo: trade.outTradeNo),
        ]
        if let url = trade.returnURL { fields["return_url"] = url }
        if let time = trade.gmtPayment { fields["gmt_payment"] = WAPTime.text(time) }
        if let time = trade.gmtClose { fields["gmt_close"] = WAPTime.text(time) }
        if let reason = trade.closeReason { fields["close_reason"] = reason }
        return fields
    }

    // MARK: - Answers

    /// `<?xml …?><alipay><is_success>T</is_success><request>…</request><response>…</response></alipay>`,
    /// unsigned (see the README).
    static func xml(success: Bool, error: String? = nil, echo: [String: String]?, response: String?) -> Response {
        var text = #"<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>\#(success ? "T" : "F")</is_success>"#
        if let error { text += "<error>\(SandboxHTML.escape(error))</error>" }
        if let echo {
            let params = echo.filter { $0.key != "sign" && $0.key != "sign_type" }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { #"<param name="\#(SandboxHTML.escape($0.key))">\#(SandboxHTML.escape($0.value))</param>"# }.joined()
            text += "<request>\(params)</request>"
        }
        if let response { text += "<response>\(response)</response>" }
        text += "</alipay>"
        var headers = HTTPFields()
        headers[.contentType] = "text/xml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Errors answer only `is_success` and `error`, as the real gateway does.
    static func xmlFailure(_ failure: Failure) -> Response {
        xml(success: false, error: failure.code, echo: nil, response: nil)
    }

    static func text(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func jsonError(_ code: String, _ message: String) -> [String: Any] {
        ["error": ["code": code, "message": message]]
    }

    static func jsonResponse(_ status: Int, _ object: [String: Any]) -> Response {
        // Only dictionaries of strings, numbers, arrays and dictionaries are built here.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
