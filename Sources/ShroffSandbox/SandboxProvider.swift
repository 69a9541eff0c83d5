import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import _CryptoExtras

/// How the emulated provider is set up.
public struct SandboxConfiguration: Sendable {
    /// Where shoppers' browsers reach the sandbox (hosted pages, QR codes), e.g. `http://127.0.0.1:8080`.
    public var publicBaseURL: String
    public var providerPrivateKeyPEM: String
    /// AMS clients allowed to call, by client id, with their public keys (PEM or base64 X.509).
    public var clients: [String: String]
    /// Delays before each notification attempt; the provider's real schedule unless a test shortens it.
    public var notificationSchedule: [Duration]

    /// providers.md §1: 0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h.
    public static let providerSchedule: [Duration] = [
        .zero, .seconds(120), .seconds(600), .seconds(600), .seconds(3600), .seconds(7200), .seconds(21_600), .seconds(54_000),
    ]

    public init(
        publicBaseURL: String, providerPrivateKeyPEM: String, clients: [String: String],
        notificationSchedule: [Duration] = SandboxConfiguration.providerSchedule
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.providerPrivateKeyPEM = providerPrivateKeyPEM
        self.clients = clients
        self.notificationSchedule = notificationSchedule
    }
}

/// A provider-side configuration problem; never includes key material.
public struct SandboxSetupError: Error, CustomStringConvertible {
    public let description: String
}

/// The emulated wallet provider: AMS endpoints, hosted pages and test helpers, mountable on any router.
public final class SandboxProvider: Sendable {
    let configuration: SandboxConfiguration
    let signing: ProviderSigning
    let clientKeys: [String: _RSA.Signing.PublicKey]
    let ledger = SandboxLedger()
    /// Shared with the WAP gateway, so one control endpoint arms faults for both protocols.
    let faults: SandboxFaults
    let notifier: SandboxNotifier
    let logger: Logger
    /// The WAP gateway mounted beside this provider, so `simulate` also drives trades by `out_trade_no`.
    let wap: SandboxWAPGateway?

    public init(configuration: SandboxConfiguration, wap: SandboxWAPGateway? = nil, httpClient: HTTPClient = .shared, logger: Logger) throws {
        self.configuration = configuration
        self.wap = wap
        self.faults = wap?.faults ?? SandboxFaults()
        guard let providerKey = try? _RSA.Signing.PrivateKey(pemRepresentation: configuration.providerPrivateKeyPEM) else {
            throw SandboxSetupError(description: "sandbox provider private key is not a valid RSA PEM key")
        }
        self.signing = ProviderSigning(providerKey: providerKey)
        var keys: [String: _RSA.Signing.PublicKey] = [:]
        for (clientID, text) in configuration.clients {
            guard let key = Self.publicKey(text) else {
                throw SandboxSetupError(description: "public key of AMS client \(clientID) is not a valid RSA key")
            }
            keys[clientID] = key
        }
        self.clientKeys = keys
        self.logger = logger
        self.notifier = SandboxNotifier(
            signing: signing, schedule: configuration.notificationSchedule, httpClient: httpClient, logger: logger
        )
    }

    static func publicKey(_ text: String) -> _RSA.Signing.PublicKey? {
        if text.contains("-----BEGIN") { return try? _RSA.Signing.PublicKey(pemRepresentation: text) }
        return Data(base64Encoded: text.filter { !$0.isWhitespace }).flatMap { try? _RSA.Signing.PublicKey(derRepresentation: $0) }
    }

    /// Stops pending notification retries.
    public func shutdown() async {
        await notifier.cancelAll()
        await wap?.shutdown()
    }

    /// Mounts the provider's routes: `/ams/...`, `/sandbox/...`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        wap?.register(on: router)
        for prefix in ["/ams/api/v1/payments", "/ams/sandbox/api/v1/payments"] {
            router.post("\(prefix)/:operation") { request, context in
                try await self.amsCall(request, operation: context.parameters.get("operation") ?? "", path: request.uri.path)
            }
        }
        router.post("/sandbox/v1/payments/simulate") { request, _ in try await self.simulate(request) }
        router.post("/sandbox/v1/refunds/simulate") { request, _ in try await self.simulateRefund(request) }
        router.get("/sandbox/v1/refunds/:refundRequestID") { _, context in
            try await self.inspectRefund(requestID: context.parameters.get("refundRequestID") ?? "")
        }
        router.post("/sandbox/v1/control") { request, _ in try await self.control(request) }
        router.get("/sandbox/v1/control") { _, _ in Self.jsonResponse(.ok, ["faults": await self.faults.describe()]) }
        router.get("/sandbox/v1/payments") { _, _ in try await self.inspectAll() }
        router.get("/sandbox/v1/payments/:paymentRequestID") { _, context in
            try await self.inspect(requestID: context.parameters.get("paymentRequestID") ?? "")
        }
        router.get("/sandbox/cashier/:paymentID") { _, context in
            try await self.cashierPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        // Where a POST redirect (magic amount …55) lands: the same page.
        router.post("/sandbox/cashier/:paymentID") { _, context in
            try await self.cashierPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.get("/sandbox/qr/{paymentID}.png") { _, context in
            await self.qrImage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.get("/sandbox/qr/:paymentID") { _, context in
            try await self.qrPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.post("/sandbox/pay/:paymentID") { request, context in
            try await self.pageAction(request, paymentID: context.parameters.get("paymentID") ?? "")
        }
    }

    // MARK: - AMS

    func amsCall(_ request: Request, operation: String, path: String) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        let clientID = request.headers[HTTPField.Name("client-id")!] ?? ""
        let answer: [String: Any]
        if let key = clientKeys[clientID] {
            let time = request.headers[HTTPField.Name("request-time")!] ?? ""
            let signature = request.headers[HTTPField.Name("signature")!] ?? ""
            if !ProviderSigning.isValid(header: signature, path: path, clientID: clientID, time: time, body: body, key: key) {
                logger.warning("sandbox rejected an AMS request with a bad signature", metadata: ["operation": "\(operation)"])
                answer = Self.result("F", "INVALID_SIGNATURE", "The signature is invalid.")
            } else if let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                let injected = await faults.take(operation)
                switch injected?.fault {
                case .latency?:
                    try? await Task.sleep(for: injected!.latency)
                case .http500?:
                    return Self.jsonError(.internalServerError, "internal_error", "injected fault")
                case .connectionReset?:
                    return Self.droppedConnection()
                default:
                    break
                }
                if injected?.fault == .unknownResult {
                    answer = Self.result("U", "UNKNOWN_EXCEPTION", "An API calling is failed, which is caused by unknown reasons.")
                } else {
                    switch operation {
                    case "pay": answer = await pay(json, clientID: clientID)
                    case "inquiryPayment": answer = await inquire(json)
                    case "cancel": answer = await cancel(json)
                    case "refund": answer = await refund(json, clientID: clientID)
                    case "inquiryRefund": answer = await inquireRefund(json)
                    default: answer = Self.result("F", "API_INVALID", "API is invalid or not active.")
                    }
                }
            } else {
                answer = Self.result("F", "PARAM_ILLEGAL", "The request body is not a JSON object.")
            }
        } else {
            answer = Self.result("F", "CLIENT_INVALID", "The client is invalid.")
        }
        let responseBody = Self.json(answer)
        let responseTime = Self.isoTime(Date())
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        headers[HTTPField.Name("client-id")!] = clientID
        headers[HTTPField.Name("response-time")!] = responseTime
        headers[HTTPField.Name("signature")!] = try signing.signatureHeader(path: path, clientID: clientID, time: responseTime, body: responseBody)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: responseBody)))
    }

    func pay(_ json: [String: Any], clientID: String) async -> [String: Any] {
        let amount = json["paymentAmount"] as? [String: Any]
        let factor = json["paymentFactor"] as? [String: Any]
        let order = json["order"] as? [String: Any]
        let env = order?["env"] as? [String: Any]
        guard let requestID = json["paymentRequestId"] as? String, !requestID.isEmpty, requestID.count <= 64,
              let productCode = json["productCode"] as? String,
              let currency = amount?["currency"] as? String, let value = Self.minorUnits(amount?["value"]), value > 0,
              let wallet = (json["paymentMethod"] as? [String: Any])?["paymentMethodType"] as? String
        else {
            return Self.result("F", "PARAM_ILLEGAL", "paymentRequestId, productCode, paymentAmount and paymentMethod are required.")
        }
        switch productCode {
        case "CASHIER_PAYMENT":
            guard let terminal = env?["terminalType"] as? String, ["WEB", "WAP", "APP"].contains(terminal) else {
                return Self.result("F", "PARAM_ILLEGAL", "order.env.terminalType is required for cashier payments.")
            }
            if terminal != "WEB", env?["osType"] == nil {
                return Self.result("F", "PARAM_ILLEGAL", "order.env.osType is required when terminalType is not WEB.")
            }
        case "IN_STORE_PAYMENT":
            guard factor?["inStorePaymentScenario"] as? String == "OrderCode" else {
                return Self.result("F", "PARAM_ILLEGAL", "paymentFactor.inStorePaymentScenario must be OrderCode.")
            }
        default:
            return Self.result("F", "PARAM_ILLEGAL", "productCode is not supported by the sandbox.")
        }
        let request = SandboxLedger.PayRequest(
            paymentRequestID: requestID, clientID: clientID, productCode: productCode, currency: currency, value: value,
            wallet: wallet, presentmentMode: factor?["presentmentMode"] as? String,
            notifyURL: json["paymentNotifyUrl"] as? String, redirectURL: json["paymentRedirectUrl"] as? String,
            expiresAt: (json["paymentExpiryTime"] as? String).flatMap(Self.parseTime),
            settlementCurrency: (json["settlementStrategy"] as? [String: Any])?["settlementCurrency"] as? String,
            merchantName: (order?["merchant"] as? [String: Any])?["merchantName"] as? String,
            orderDescription: order?["orderDescription"] as? String
        )
        switch await ledger.pay(request, now: Date()) {
        case .awaitingShopper(let payment):
            var answer = Self.result("U", "PAYMENT_IN_PROCESS", "The payment is being processed.")
            answer.merge(Self.paymentFields(payment)) { $1 }
            let magic = MagicAmount(minorUnits: payment.value)
            if payment.isOrderCode {
                var form: [String: Any] = [
                    "codeDetails": magic == .barcodeOnly
                        ? [["codeValueType": "BARCODE", "displayType": "SMALLIMAGE", "codeValue": orderCodeValue(payment)]]
                        : [["codeValueType": "QRCODE", "displayType": "BIGIMAGE", "codeValue": orderCodeValue(payment)]],
                ]
                if let expiresAt = payment.expiresAt { form["expireTime"] = Self.isoTime(expiresAt) }
                answer["orderCodeForm"] = form
            } else if magic == .postRedirect {
                // The page takes the form fields posted to it (seed 002: method and parameters).
                answer["redirectActionForm"] = [
                    "method": "POST", "redirectUrl": "\(configuration.publicBaseURL)/sandbox/cashier/\(payment.paymentID)",
                    "parameters": String(decoding: Self.json(["paymentId": payment.paymentID, "channel": "sandbox"]), as: UTF8.self),
                ]
            } else {
                answer["redirectActionForm"] = [
                    "method": "GET", "redirectUrl": "\(configuration.publicBaseURL)/sandbox/cashier/\(payment.paymentID)",
                ]
            }
            return answer
        case .alreadyPaid(let payment):
            var answer = Self.result("S", "SUCCESS", "Success")
            answer.merge(Self.paymentFields(payment)) { $1 }
            return answer
        case .failed(let code, let message):
            return Self.result("F", code, message)
        case .unknown(let code, let message):
            return Self.result("U", code, message)
        }
    }

    func inquire(_ json: [String: Any]) async -> [String: Any] {
        guard let payment = await ledger.payment(
            requestID: json["paymentRequestId"] as? String, paymentID: json["paymentId"] as? String, now: Date()
        ) else {
            return Self.result("F", "ORDER_NOT_EXIST", "The order does not exist.")
        }
        var answer = Self.result("S", "SUCCESS", "Success")
        answer.merge(Self.paymentFields(payment)) { $1 }
        answer["paymentStatus"] = payment.status.rawValue
        if let code = payment.resultCode { answer["paymentResultCode"] = code }
        if let wallet = payment.walletUsed { answer["paymentMethodType"] = wallet }
        if payment.status == .success {
            answer["grossSettlementAmount"] = ["currency": payment.settlementCurrency ?? payment.currency, "value": String(payment.value)]
        }
        return answer
    }

    /// `notifyPayment` for a payment that reached a final state.
    func notificationBody(_ payment: SandboxPayment) -> [UInt8] {
        var body = Self.paymentFields(payment)
        body["notifyType"] = "PAYMENT_RESULT"
        if payment.status == .success {
            body["result"] = ["resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"]
            body["paymentMethodType"] = payment.walletUsed ?? payment.requestedWallet
            let settlement = payment.settlementCurrency ?? payment.currency
            if settlement == payment.currency {
                body["grossSettlementAmount"] = ["currency": settlement, "value": String(payment.value)]
                body["settlementQuote"] = ["currency": settlement, "price": "1"]
            } else {
                // The sandbox has no exchange rates: it names the settlement currency and no amount.
                body["settlementQuote"] = ["currency": settlement]
            }
        } else {
            body["result"] = ["resultCode": payment.resultCode ?? "PROCESS_FAIL", "resultStatus": "F", "resultMessage": "payment failed"]
        }
        return Self.json(body)
    }

    /// Moves a payment to its final state and schedules the notification (unless magic amount `…53`).
    func complete(requestID: String, outcome: SandboxLedger.Outcome, wallet: String?) async -> Result<SandboxPayment, SandboxLedger.CompletionError> {
        let result = await ledger.complete(requestID: requestID, outcome: outcome, wallet: wallet, now: Date())
        if case .success(let payment) = result, let url = payment.notifyURL {
            if MagicAmount(minorUnits: payment.value) == .silentSuccess, payment.status == .success {
                logger.info("sandbox notification suppressed by magic amount", metadata: ["payment_request_id": "\(requestID)"])
            } else {
                await notify("notifyPayment", body: notificationBody(payment), to: url, clientID: payment.clientID, reference: requestID)
            }
        }
        return result
    }

    /// Sends a notification, unless a fault suppresses it, duplicates it or holds it back.
    func notify(_ operation: String, body: [UInt8], to url: String, clientID: String, reference: String) async {
        let injected = await faults.take(operation)
        switch injected?.fault {
        case .suppress?:
            logger.info("sandbox notification suppressed by fault injection", metadata: ["reference": "\(reference)"])
        case .latency?:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference, delay: injected?.latency ?? .zero)
        case .duplicate?:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
        default:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
        }
    }

    // MARK: - Test helpers

    func simulate(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonError(.badRequest, "invalid_request", "body must be a JSON object")
        }
        guard let outcome = (json["outcome"] as? String).flatMap(SandboxLedger.Outcome.init(rawValue:)) else {
            return Self.jsonError(.badRequest, "invalid_parameter", "outcome: must be one of success, fail, cancel")
        }
        let wallet = json["wallet"] as? String
        if let wap, let outTradeNo = json["out_trade_no"] as? String {
            let (status, answer) = await wap.simulate(outTradeNo: outTradeNo, outcome: outcome.rawValue)
            return Self.jsonResponse(HTTPResponse.Status(code: status), answer)
        }
        guard let payment = await ledger.payment(
            requestID: (json["payment_request_id"] as? String) ?? (json["out_trade_no"] as? String),
            paymentID: json["payment_id"] as? String, now: Date()
        ) else {
            return Self.jsonError(.notFound, "not_found", "payment_request_id / payment_id: no such sandbox payment")
        }
        switch await complete(requestID: payment.paymentRequestID, outcome: outcome, wallet: wallet) {
        case .success(let done):
            return Self.jsonResponse(.ok, Self.describe(done, payCalls: await ledger.payCallCount(requestID: done.paymentRequestID)))
        case .failure(.notProcessing(let status)):
            return Self.jsonError(.conflict, "invalid_state", "payment is \(status.rawValue), not PROCESSING")
        case .failure(.notFound):
            return Self.jsonError(.notFound, "not_found", "no such sandbox payment")
        case .failure(.walletNotOffered(let requested)):
            return Self.jsonError(.conflict, "wallet_not_offered", "wallet: this payment can only be paid with \(requested)")
        }
    }

    func inspect(requestID: String) async throws -> Response {
        guard let payment = await ledger.payment(requestID: requestID, paymentID: nil, now: Date()) else {
            return Self.jsonError(.notFound, "not_found", "no such sandbox payment")
        }
        return Self.jsonResponse(.ok, Self.describe(
            payment, payCalls: await ledger.payCallCount(requestID: requestID), refunds: await ledger.refunds(ofPayment: requestID)
        ))
    }

    /// Every payment, oldest first, without their refunds.
    func inspectAll() async throws -> Response {
        var listed: [[String: Any]] = []
        for payment in await ledger.allPayments(now: Date()) {
            listed.append(Self.describe(payment, payCalls: await ledger.payCallCount(requestID: payment.paymentRequestID)))
        }
        return Self.jsonResponse(.ok, ["payments": listed])
    }

    static func describe(_ payment: SandboxPayment, payCalls: Int, refunds: [SandboxRefund] = []) -> [String: Any] {
        var fields: [String: Any] = [
            "payment_request_id": payment.paymentRequestID, "payment_id": payment.paymentID,
            "status": payment.status.rawValue, "amount": ["currency": payment.currency, "value": String(payment.value)],
            "product_code": payment.productCode, "pay_calls": payCalls, "requested_wallet": payment.requestedWallet,
        ]
        if let code = payment.resultCode { fields["result_code"] = code }
        if let wallet = payment.walletUsed { fields["wallet"] = wallet }
        fields["refunds"] = refunds.map(describeRefund)
        return fields
    }

    // MARK: - Helpers

    static func paymentFields(_ payment: SandboxPayment) -> [String: Any] {
        var fields: [String: Any] = [
            "paymentRequestId": payment.paymentRequestID, "paymentId": payment.paymentID,
            "paymentAmount": ["currency": payment.currency, "value": String(payment.value)],
            "paymentCreateTime": isoTime(payment.createTime),
        ]
        if let time = payment.paymentTime { fields["paymentTime"] = isoTime(time) }
        return fields
    }

    static func result(_ status: String, _ code: String, _ message: String) -> [String: Any] {
        ["result": ["resultStatus": status, "resultCode": code, "resultMessage": message]]
    }

    static func minorUnits(_ value: Any?) -> Int64? {
        if let text = value as? String { return text.allSatisfy(\.isNumber) ? Int64(text) : nil }
        if let number = value as? Int { return Int64(number) }
        return nil
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        // Only dictionaries of strings, numbers, arrays and dictionaries are built here.
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json(object))))
    }

    static func jsonError(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        jsonResponse(status, ["error": ["code": code, "message": message]])
    }

    /// ISO 8601 in Hong Kong time, as the provider writes times.
    static func isoTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
