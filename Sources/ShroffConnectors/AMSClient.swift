import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ShroffCore
import _CryptoExtras

/// Where and as whom the gateway talks AMS.
public struct AMSConfiguration: Sendable {
    /// Scheme, host and port of the provider, e.g. `https://open-sea-global.alipay.com`.
    public var baseURL: String
    public var clientID: String
    public var merchantPrivateKey: _RSA.Signing.PrivateKey
    public var providerPublicKey: _RSA.Signing.PublicKey
    /// The gateway's notification endpoint as the provider must call it.
    public var notifyURL: String
    public var requestTimeout: TimeAmount
    public var merchantMCC: String

    public init(
        baseURL: String, clientID: String, merchantPrivateKey: _RSA.Signing.PrivateKey,
        providerPublicKey: _RSA.Signing.PublicKey, notifyURL: String,
        requestTimeout: TimeAmount = .seconds(15), merchantMCC: String = "5999"
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clientID = clientID
        self.merchantPrivateKey = merchantPrivateKey
        self.providerPublicKey = providerPublicKey
        self.notifyURL = notifyURL
        self.requestTimeout = requestTimeout
        self.merchantMCC = merchantMCC
    }

    /// Sandbox accounts (`SANDBOX_…`) use `/ams/sandbox/api/` for online payments (providers.md §1).
    public func path(_ operation: String) -> String {
        clientID.hasPrefix("SANDBOX_") ? "/ams/sandbox/api/v1/payments/\(operation)" : "/ams/api/v1/payments/\(operation)"
    }
}

/// The gateway's AMS client: cashier and order-code payments (`v1/payments/pay`) and inquiries,
/// signed requests, verified responses.
public struct AMSClient: PaymentProvider {
    public let configuration: AMSConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    let timestamps: TimestampFormat

    public init(configuration: AMSConfiguration, httpClient: HTTPClient = .shared, timestamps: TimestampFormat, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.timestamps = timestamps
        self.logger = logger
    }

    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        let intent = request.intent
        let response: AMSPayResponse = try await call("pay", body: payRequest(request), orderID: intent.orderID)
        switch response.result.resultStatus {
        case "F" where ProviderIntegrationFault.amsCodes.contains(response.result.resultCode):
            throw ProviderIntegrationFault(operation: "pay", code: response.result.resultCode)
        case "F":
            return .rejected(code: response.result.resultCode, message: response.result.resultMessage ?? "")
        case "S" where response.redirectActionForm == nil && response.orderCodeForm == nil:
            // A repeated pay for a payment that went through answers S without action forms (seed 002).
            let payTime = response.paymentTime.flatMap(TimestampFormat.parse) ?? Date()
            return .succeeded(payTime: payTime, wallet: nil, providerPaymentID: response.paymentId)
        default:
            if let form = response.redirectActionForm {
                return .awaitingShopper(try AMSActionForms.redirect(form), providerPaymentID: response.paymentId)
            }
            if let form = response.orderCodeForm, let action = AMSActionForms.code(form) {
                return .awaitingShopper(action, providerPaymentID: response.paymentId)
            }
            // U with no form: the outcome is unknown; the same paymentRequestId is asked again later.
            throw ProviderUnavailable(reason: "pay answered \(response.result.resultStatus)/\(response.result.resultCode) without an action form", isTransportFailure: false)
        }
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        let response: AMSInquiryResponse = try await call(
            "inquiryPayment", body: AMSInquiryRequest(paymentRequestId: intent.orderID), orderID: intent.orderID
        )
        guard response.result.resultStatus == "S" else {
            if response.result.resultStatus == "F", response.result.resultCode == "ORDER_NOT_EXIST" {
                return .notFound
            }
            throw ProviderUnavailable(reason: "inquiryPayment answered \(response.result.resultStatus)/\(response.result.resultCode)", isTransportFailure: false)
        }
        switch response.paymentStatus {
        case "SUCCESS":
            return .succeeded(
                payTime: response.paymentTime.flatMap(TimestampFormat.parse) ?? Date(),
                wallet: response.paymentMethodType, settleCurrency: response.grossSettlementAmount?.currency
            )
        case "FAIL", "CANCELLED":
            return .failed(code: response.paymentResultCode ?? response.paymentStatus ?? "FAIL")
        default:
            return .processing
        }
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        let response: AMSCancelResponse = try await call(
            "cancel", body: AMSCancelRequest(paymentRequestId: intent.orderID, paymentId: intent.providerPaymentID), orderID: intent.orderID
        )
        switch response.result.resultStatus {
        case "S":
            return .cancelled
        case "F" where response.result.resultCode == "ORDER_NOT_EXIST":
            return .notFound
        case "F":
            // Refused (paid, closed, too late): the payment's own state says what is true.
            return try .afterRefusal(try await inquirePayment(intent), refusal: "cancel refused with \(response.result.resultCode)")
        default:
            throw ProviderUnavailable(reason: "cancel answered \(response.result.resultStatus)/\(response.result.resultCode)", isTransportFailure: false)
        }
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        let refund = request.refund
        let body = AMSRefundRequest(
            refundRequestId: refund.refundID, paymentId: request.intent.providerPaymentID, paymentRequestId: request.intent.orderID,
            refundAmount: AMSAmount(currency: refund.amount.currency.code, value: refund.amount.minorUnitsString),
            refundReason: refund.reason, refundNotifyUrl: configuration.notifyURL
        )
        let response: AMSRefundResponse = try await call("refund", body: body, orderID: request.intent.orderID)
        switch (response.result.resultStatus, response.result.resultCode) {
        case ("S", _):
            return .succeeded(time: response.refundTime.flatMap(TimestampFormat.parse) ?? Date(), providerRefundID: response.refundId)
        case ("U", "REFUND_IN_PROCESS"):
            return .processing(providerRefundID: response.refundId)
        case ("F", let code) where ProviderIntegrationFault.amsCodes.contains(code):
            throw ProviderIntegrationFault(operation: "refund", code: code)
        case ("F", let code):
            return .rejected(code: code, message: response.result.resultMessage ?? "")
        default:
            throw ProviderUnavailable(reason: "refund answered \(response.result.resultStatus)/\(response.result.resultCode)", isTransportFailure: false)
        }
    }

    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        let response: AMSRefundInquiryResponse = try await call(
            "inquiryRefund", body: AMSRefundInquiryRequest(refundRequestId: request.refund.refundID), orderID: request.intent.orderID
        )
        guard response.result.resultStatus == "S" else {
            if response.result.resultStatus == "F", ["ORDER_NOT_EXIST", "REFUND_NOT_EXIST"].contains(response.result.resultCode) {
                return .notFound
            }
            throw ProviderUnavailable(reason: "inquiryRefund answered \(response.result.resultStatus)/\(response.result.resultCode)", isTransportFailure: false)
        }
        switch response.refundStatus {
        case "SUCCESS":
            return .succeeded(time: response.refundTime.flatMap(TimestampFormat.parse) ?? Date(), providerRefundID: response.refundId)
        case "FAIL":
            return .failed(code: "REFUND_FAILED")
        default:
            return .processing
        }
    }

    func payRequest(_ request: ProviderPaymentRequest) -> AMSPayRequest {
        let intent = request.intent
        let amount = AMSAmount(currency: intent.amount.currency.code, value: intent.amount.minorUnitsString)
        let merchant = AMSPayRequest.Merchant(
            referenceMerchantId: String(intent.merchantUID), merchantMCC: configuration.merchantMCC,
            merchantName: request.merchantName,
            store: intent.method.flow == .csbQRCode
                ? AMSPayRequest.Store(referenceStoreId: String(intent.merchantUID), storeName: request.merchantName, storeMCC: configuration.merchantMCC)
                : nil
        )
        let isOrderCode = intent.method.flow == .csbQRCode
        let env = isOrderCode
            ? AMSPayRequest.Env(storeTerminalId: "shroff-\(intent.merchantUID)", storeTerminalRequestTime: timestamps.string(from: intent.createTime))
            : AMSPayRequest.Env(terminalType: intent.method.terminalType ?? "WEB", osType: intent.method.osType)
        return AMSPayRequest(
            productCode: isOrderCode ? "IN_STORE_PAYMENT" : "CASHIER_PAYMENT",
            paymentRequestId: intent.orderID,
            order: AMSPayRequest.Order(
                referenceOrderId: intent.merchantOrderID, orderDescription: intent.description,
                orderAmount: amount, merchant: merchant, env: env
            ),
            paymentAmount: amount,
            // The wallet the merchant named, in AMS spelling (seed 001's ALIPAYCN is ALIPAY_CN); an
            // order code for any wallet is CONNECT_WALLET (seed 002).
            paymentMethod: AMSPayRequest.PaymentMethod(paymentMethodType: WalletName.ams(intent.method.wallet)),
            paymentFactor: isOrderCode
                ? AMSPayRequest.PaymentFactor(inStorePaymentScenario: "OrderCode")
                : AMSPayRequest.PaymentFactor(presentmentMode: intent.method.presentmentMode ?? "UNIFIED"),
            paymentRedirectUrl: intent.returnURL,
            paymentNotifyUrl: configuration.notifyURL,
            paymentExpiryTime: timestamps.string(from: intent.expiresAt),
            settlementStrategy: intent.method.settlementCurrency.map(AMSPayRequest.SettlementStrategy.init)
        )
    }

    /// Signs and sends one call; verifies the answer's signature before reading it.
    /// Transport failures, non-200 answers and unverifiable answers are `ProviderUnavailable`.
    func call<Response: Decodable>(_ operation: String, body: some Encodable, orderID: String) async throws -> Response {
        let path = configuration.path(operation)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let bytes = try encoder.encode(body)
        let requestTime = String(Int64(Date().timeIntervalSince1970 * 1000))
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=UTF-8")
        request.headers.add(name: "Client-Id", value: configuration.clientID)
        request.headers.add(name: "Request-Time", value: requestTime)
        request.headers.add(name: "Signature", value: try AMSSignature.header(
            signing: bytes, path: path, clientID: configuration.clientID, time: requestTime, with: configuration.merchantPrivateKey
        ))
        request.body = .bytes(ByteBuffer(bytes: bytes))

        let metadata: Logger.Metadata = ["provider": "ams", "operation": "\(operation)", "order_id": "\(orderID)"]
        let responseBody: ByteBuffer
        let responseHeaders: HTTPHeaders
        do {
            let response = try await httpClient.execute(request, timeout: configuration.requestTimeout)
            responseHeaders = response.headers
            responseBody = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                logger.warning("provider answered an HTTP error", metadata: metadata.merging(["http_status": "\(response.status.code)"]) { $1 })
                throw ProviderUnavailable(reason: "HTTP \(response.status.code) from \(operation)")
            }
        } catch let error as ProviderUnavailable {
            throw error
        } catch {
            logger.warning("provider unreachable", metadata: metadata.merging(["error": "\(String(describing: type(of: error)))"]) { $1 })
            throw ProviderUnavailable(reason: "\(operation) failed: \(type(of: error))")
        }

        let raw = Array(responseBody.readableBytesView)
        guard let signature = responseHeaders.first(name: "signature"),
              let responseTime = responseHeaders.first(name: "response-time"),
              AMSSignature.verify(
                  header: signature, body: raw, path: path,
                  clientID: responseHeaders.first(name: "client-id") ?? configuration.clientID,
                  time: responseTime, with: configuration.providerPublicKey
              )
        else {
            logger.error("provider answer has no valid signature; ignored", metadata: metadata)
            throw ProviderUnavailable(reason: "unverifiable answer from \(operation)")
        }
        do {
            return try JSONDecoder().decode(Response.self, from: Data(raw))
        } catch {
            logger.error("provider answer is not the expected JSON", metadata: metadata)
            throw ProviderUnavailable(reason: "unreadable answer from \(operation)")
        }
    }
}
