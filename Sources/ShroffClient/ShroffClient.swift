import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
// The answer types are the contract's own (ShroffAPI); SDK users get them with `import ShroffClient`.
@_exported import ShroffAPI

/// An error answer of the gateway (or a transport failure), with the envelope's fields.
public struct ShroffError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The envelope's code (40001, 42200, …); 0 for a transport failure.
    public let code: Int
    /// The stable name (`invalid_parameter`, …) or `transport_error`.
    public let error: String
    public let message: String
    public let providerCode: String?
    /// The request id to quote to the gateway's operator.
    public let rid: String?
    public let httpStatus: Int?
    public let retryAfterSeconds: Int?

    public var description: String {
        "\(code) \(error): \(message)" + (providerCode.map { " [\($0)]" } ?? "") + (rid.map { " (rid \($0))" } ?? "")
    }

    /// Worth retrying with the same ids: provider unavailable, rate limited, or no answer at all.
    public var isRetryable: Bool { code == 50300 || code == 42900 || code == 0 }
}

/// The Swift client of the Shroff merchant API: typed calls, automatic login and token refresh, and
/// retries that reuse the same merchant_order_id / merchant_refund_id (so a retry never pays or
/// refunds twice).
public actor ShroffClient {
    public struct Configuration: Sendable {
        /// E.g. `http://127.0.0.1:8080`.
        public var baseURL: String
        public var clientID: String
        public var apiKey: String
        /// Retries of a retryable failure, with the waits the gateway asks for (`Retry-After`) or backoff.
        public var maxRetries: Int
        public var timeout: Duration

        public init(baseURL: String, clientID: String, apiKey: String, maxRetries: Int = 3, timeout: Duration = .seconds(30)) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.clientID = clientID
            self.apiKey = apiKey
            self.maxRetries = maxRetries
            self.timeout = timeout
        }
    }

    public let configuration: Configuration
    let httpClient: HTTPClient
    private var token: (value: String, expiresAt: Date)?

    public init(configuration: Configuration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    // MARK: Payment intents

    public func createPaymentIntent(_ request: CreatePaymentIntent) async throws(ShroffError) -> PaymentIntent {
        try await call("pa/payment_intents/create", request.json)
    }

    public func paymentIntent(orderID: String? = nil, merchantOrderID: String? = nil) async throws(ShroffError) -> PaymentIntent {
        try await call("pa/payment_intents/query", Self.lookup(orderID, merchantOrderID))
    }

    public func cancelPaymentIntent(orderID: String? = nil, merchantOrderID: String? = nil) async throws(ShroffError) -> PaymentIntent {
        try await call("pa/payment_intents/cancel", Self.lookup(orderID, merchantOrderID))
    }

    // MARK: Refunds

    public func createRefund(_ request: CreateRefund) async throws(ShroffError) -> Refund {
        try await call("pa/refunds/create", request.json)
    }

    public func refund(refundID: String? = nil, merchantRefundID: String? = nil) async throws(ShroffError) -> Refund {
        var body: [String: Any] = [:]
        body["refund_id"] = refundID
        body["merchant_refund_id"] = merchantRefundID
        return try await call("pa/refunds/query", body)
    }

    // MARK: Webhooks

    public func webhookDeliveries(_ filter: WebhookDeliveryFilter = WebhookDeliveryFilter()) async throws(ShroffError) -> WebhookDeliveryPage {
        try await call("webhooks/deliveries/list", filter.json)
    }

    public func resendWebhook(id: String) async throws(ShroffError) -> WebhookDelivery {
        try await call("webhooks/deliveries/resend", ["webhook_id": id])
    }

    // MARK: Settlements

    /// The merchant's parts of the providers' settlement batches, newest day first.
    public func settlements(_ filter: SettlementFilter = SettlementFilter()) async throws(ShroffError) -> SettlementPage {
        try await call("pa/settlements/list", filter.json)
    }

    // MARK: Transport

    static func lookup(_ orderID: String?, _ merchantOrderID: String?) -> [String: Any] {
        var body: [String: Any] = [:]
        body["order_id"] = orderID
        body["merchant_order_id"] = merchantOrderID
        return body
    }

    /// A valid token, logging in when there is none or it ends within a minute.
    public func accessToken() async throws(ShroffError) -> String {
        if let token, token.expiresAt.timeIntervalSinceNow > 60 { return token.value }
        let login: Login = try await send(
            "authentication/login", body: nil,
            headers: [("x-client-id", configuration.clientID), ("x-api-key", configuration.apiKey)]
        )
        token = (login.token, Date().addingTimeInterval(TimeInterval(login.expiresIn)))
        return login.token
    }

    func call<Answer: Decodable>(_ path: String, _ body: [String: Any]) async throws(ShroffError) -> Answer {
        let bytes: Data
        do {
            bytes = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        } catch {
            throw ShroffError(code: 0, error: "invalid_request", message: "body: not encodable as JSON", providerCode: nil, rid: nil, httpStatus: nil, retryAfterSeconds: nil)
        }
        var attempt = 0
        var refreshedToken = false
        while true {
            do {
                let bearer = try await accessToken()
                return try await send(path, body: bytes, headers: [("Authorization", "Bearer \(bearer)")])
            } catch {
                if error.code == 40100, !refreshedToken {
                    // The token expired or the gateway's key changed: log in again once.
                    token = nil
                    refreshedToken = true
                    continue
                }
                guard error.isRetryable, attempt < configuration.maxRetries else { throw error }
                let backoff = Double(1 << attempt) * 0.5
                let wait = error.retryAfterSeconds.map { Double(min($0, 30)) } ?? backoff
                attempt += 1
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            }
        }
    }

    func send<Answer: Decodable>(_ path: String, body: Data?, headers: [(String, String)]) async throws(ShroffError) -> Answer {
        var request = HTTPClientRequest(url: "\(configuration.baseURL)/mch-api/v1/\(path)")
        request.method = .POST
        request.headers.add(name: "user-agent", value: "ShroffClient-Swift/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: Int
        let responseHeaders: HTTPHeaders
        let bytes: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(configuration.timeout.components.seconds) * 1_000_000_000))
            status = Int(response.status.code)
            responseHeaders = response.headers
            bytes = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw ShroffError(
                code: 0, error: "transport_error", message: "could not reach the gateway (\(type(of: error)))", providerCode: nil,
                rid: nil, httpStatus: nil, retryAfterSeconds: nil
            )
        }
        guard let envelope = try? JSONDecoder().decode(ResponseEnvelope<Answer>.self, from: Data(bytes.readableBytesView)) else {
            throw ShroffError(
                code: 50000, error: "internal_error", message: "the gateway's answer (HTTP \(status)) is not the expected envelope",
                providerCode: nil, rid: responseHeaders.first(name: "x-request-id"), httpStatus: status, retryAfterSeconds: nil
            )
        }
        if envelope.code == 0, let data = envelope.data { return data }
        throw ShroffError(
            code: envelope.code, error: envelope.error ?? "unknown", message: envelope.message, providerCode: envelope.providerCode,
            rid: envelope.rid, httpStatus: status, retryAfterSeconds: responseHeaders.first(name: "retry-after").flatMap { Int($0) }
        )
    }
}

/// The gateway's answer envelope.
struct ResponseEnvelope<Payload: Decodable>: Decodable {
    let code: Int
    let data: Payload?
    let error: String?
    let message: String
    let rid: String?
    let providerCode: String?

    enum CodingKeys: String, CodingKey {
        case code, data, error, message, rid
        case providerCode = "provider_code"
    }
}
