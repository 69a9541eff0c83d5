import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffAPI
import ShroffCore

/// The merchant API under `/mch-api/v1`: login and payment intents.
struct MerchantAPI: Sendable {
    let merchants: any MerchantStore
    let payments: PaymentService
    /// What the providers' settlement files said of each payment and refund (its fee and settlement).
    let settlements: any SettlementStore
    let tokens: TokenIssuer
    let rateLimiter: RateLimiter
    /// Shared with the dashboard's sign-in form (one throttle for both).
    var signIn: MerchantSignIn { MerchantSignIn(merchants: merchants, throttle: loginThrottle) }
    let loginThrottle = LoginThrottle()
    let timestamps: TimestampFormat
    /// Whether the configured providers can pay a flow (mobile_web needs a WAP gateway).
    let supportsFlow: @Sendable (PaymentMethodSpec.Flow) -> Bool

    /// A create request is well under 4 KiB; nothing a merchant sends needs more than this.
    static let maximumBodyBytes = 64 * 1024

    func register(on router: Router<AppRequestContext>) {
        router.group("mch-api/v1").post("authentication/login", use: login)
        let authenticated = authenticatedGroup(router)
        authenticated.post("pa/payment_intents/create", use: createIntent)
        authenticated.post("pa/payment_intents/query", use: queryIntent)
        authenticated.post("pa/payment_intents/cancel", use: cancelIntent)
        authenticated.post("pa/refunds/create", use: createRefund)
        authenticated.post("pa/refunds/query", use: queryRefund)
    }

    /// `/mch-api/v1` behind authentication and the merchant's rate limit.
    func authenticatedGroup(_ router: Router<AppRequestContext>) -> RouterGroup<AppRequestContext> {
        router.group("mch-api/v1").add(
            middleware: AuthenticationMiddleware(tokens: tokens, merchants: merchants, rateLimiter: rateLimiter)
        )
    }

    // MARK: Authentication

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let clientID = request.headers[Self.clientIDHeader], !clientID.isEmpty else {
            throw GatewayError(.unauthorized, "x-client-id: header is required")
        }
        guard let apiKey = request.headers[Self.apiKeyHeader], !apiKey.isEmpty else {
            throw GatewayError(.unauthorized, "x-api-key: header is required")
        }
        let merchant = try await signIn.verify(
            clientID: clientID, apiKey: apiKey, address: context.peerAddress, apiKeyField: "x-api-key", logger: context.logger
        )
        // A successful login is in the merchant's request log (its token redacted); a refused one
        // names no merchant it could be charged to, so it is not.
        context.recording?.identify(merchantUID: merchant.uid)
        let issued = try tokens.issue(for: merchant.uid)
        context.logger.info("merchant logged in", metadata: ["merchant_uid": "\(merchant.uid)"])
        return try Envelope.ok(
            Login(
                token: issued.token, tokenType: "Bearer", expiresAt: timestamps.string(from: issued.expiresAt),
                expiresIn: tokens.lifetimeSeconds
            ),
            context: context
        )
    }

    static let clientIDHeader = HTTPField.Name("x-client-id")!
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    // MARK: Payment intents

    @Sendable func createIntent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let body = try await Self.jsonObject(request)
        let intentRequest = try CreateIntentRequest.validate(body, h5Domain: merchant.h5Domain)
        guard supportsFlow(intentRequest.method.flow) else {
            throw GatewayError(.rejected, "payment_method.alipayhk.flow: mobile_web needs a WAP gateway, and none is configured")
        }
        let intent = try await payments.create(intentRequest, merchant: merchant, logger: context.logger)
        return try Envelope.ok(ShroffAPI.PaymentIntent(intent, timestamps: timestamps), context: context)
    }

    @Sendable func queryIntent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let (orderID, merchantOrderID) = try await Self.intentLookup(request)
        let intent = try await payments.find(merchantUID: merchant.uid, orderID: orderID, merchantOrderID: merchantOrderID)
        let settlement = try await settlements.settlementDetails(.payment, reference: intent.orderID)
        return try Envelope.ok(ShroffAPI.PaymentIntent(intent, timestamps: timestamps, settlement: settlement), context: context)
    }

    @Sendable func cancelIntent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let (orderID, merchantOrderID) = try await Self.intentLookup(request)
        let intent = try await payments.cancel(
            merchantUID: merchant.uid, orderID: orderID, merchantOrderID: merchantOrderID, logger: context.logger
        )
        return try Envelope.ok(ShroffAPI.PaymentIntent(intent, timestamps: timestamps), context: context)
    }

    // MARK: Refunds

    @Sendable func createRefund(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let refundRequest = try CreateRefundRequest.validate(try await Self.jsonObject(request))
        let refund = try await payments.createRefund(refundRequest, merchant: merchant, logger: context.logger)
        return try Envelope.ok(ShroffAPI.Refund(refund, timestamps: timestamps), context: context)
    }

    @Sendable func queryRefund(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let fields = FieldReader(try await Self.jsonObject(request))
        let refund = try await payments.findRefund(
            merchantUID: merchant.uid, refundID: try fields.optionalString("refund_id", maxLength: 32),
            merchantRefundID: try fields.optionalString("merchant_refund_id", maxLength: 32)
        )
        let settlement = try await settlements.settlementDetails(.refund, reference: refund.refundID)
        return try Envelope.ok(ShroffAPI.Refund(refund, timestamps: timestamps, settlement: settlement), context: context)
    }

    // MARK: Request bodies

    /// The `order_id` and `merchant_order_id` that query and cancel find an intent by.
    static func intentLookup(_ request: Request) async throws -> (orderID: String?, merchantOrderID: String?) {
        let fields = FieldReader(try await jsonObject(request))
        return (try fields.optionalString("order_id", maxLength: 32), try fields.optionalString("merchant_order_id", maxLength: 32))
    }

    /// The request body as a JSON object, or 40000 saying why it is not one.
    static func jsonObject(_ request: Request) async throws -> [String: JSONValue] {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw GatewayError(.invalidRequest, "Content-Type: must be application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw GatewayError(.invalidRequest, "body: larger than the 64 KiB limit")
        }
        guard buffer.readableBytes > 0 else { throw GatewayError(.invalidRequest, "body: a JSON object is required") }
        guard JSONLimits.depth(of: buffer.readableBytesView) <= JSONLimits.maximumDepth else {
            throw GatewayError(.invalidRequest, "body: nested deeper than \(JSONLimits.maximumDepth) levels")
        }
        let document: JSONValue
        do {
            document = try JSONValue.decode(Array(buffer.readableBytesView))
        } catch {
            throw GatewayError(.invalidRequest, "body: not valid JSON")
        }
        guard case .object(let fields) = document else {
            throw GatewayError(.invalidRequest, "body: must be a JSON object, not \(document.typeName)")
        }
        return fields
    }
}

extension ShroffAPI.PaymentIntent {
    /// The intent as the merchant API answers it (seeds 000/001 plus the contract's extra fields).
    init(_ intent: ShroffCore.PaymentIntent, timestamps: TimestampFormat, settlement: SettlementDetails? = nil) {
        let action = intent.status == .pending ? intent.nextAction : nil
        self.init(
            orderID: intent.orderID, merchantOrderID: intent.merchantOrderID, amount: intent.amount.decimalString,
            currency: intent.amount.currency.code, status: intent.status.rawValue,
            createTime: timestamps.string(from: intent.createTime), expiresAt: timestamps.string(from: intent.expiresAt),
            nextAction: action.map {
                ShroffAPI.NextAction(
                    type: $0.type.rawValue, url: $0.url, method: $0.method, formFields: $0.formFields, codeType: $0.codeType,
                    displayType: $0.displayType
                )
            },
            payTime: intent.payTime.map(timestamps.string(from:)),
            refundedAmount: Money(minorUnits: intent.refundedMinorUnits, currency: intent.amount.currency).decimalString,
            paymentMethod: intent.walletUsed, settleCurrency: intent.answeredSettleCurrency, failureCode: intent.failureCode,
            // Set when the shopper paid after the intent's expiry (money taken is never ignored).
            paidAfterExpiry: intent.payTime.map { $0 > intent.expiresAt } == true ? true : nil,
            // Set when the shopper paid a CANCELLED intent: it stays CANCELLED and is refunded automatically.
            paidAfterCancel: intent.latePaymentTime == nil ? nil : true, settlement: settlement.map(ShroffAPI.Settlement.init)
        )
    }
}

extension ShroffAPI.Refund {
    /// The refund as the merchant API answers it.
    init(_ refund: ShroffCore.Refund, timestamps: TimestampFormat, settlement: SettlementDetails? = nil) {
        self.init(
            refundID: refund.refundID, merchantRefundID: refund.merchantRefundID, orderID: refund.orderID,
            amount: refund.amount.decimalString, currency: refund.amount.currency.code, status: refund.status.rawValue,
            createTime: timestamps.string(from: refund.createTime), finishTime: refund.finishTime.map(timestamps.string(from:)),
            reason: refund.reason, failureCode: refund.failureCode, settlement: settlement.map(ShroffAPI.Settlement.init)
        )
    }
}
