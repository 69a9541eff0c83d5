import HTTPTypes
import Hummingbird
import Logging
import ShroffCore

/// Accepts a merchant's Bearer token, applies the merchant's rate limit, and puts the merchant in the context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenIssuer
    let merchants: any MerchantStore
    let rateLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else {
            throw GatewayError(.unauthorized, "Authorization: a Bearer token is required")
        }
        guard authorization.hasPrefix("Bearer "), !authorization.dropFirst(7).isEmpty else {
            throw GatewayError(.unauthorized, "Authorization: expected \"Bearer <token>\"")
        }
        let claims: TokenIssuer.Claims
        do {
            claims = try tokens.verify(String(authorization.dropFirst(7)))
        } catch {
            context.logger.info("token refused", metadata: ["reason": "\(error)"])
            throw GatewayError(.unauthorized, "Authorization: \(error)")
        }
        guard let merchant = try await merchants.merchant(uid: claims.merchantUID) else {
            throw GatewayError(.unauthorized, "Authorization: the token's merchant no longer exists")
        }
        guard !merchant.isDisabled else { throw GatewayError(.unauthorized, "Authorization: this merchant is disabled; ask the operator") }
        context.recording?.identify(merchantUID: merchant.uid)
        try await rateLimiter.admit("merchant:\(merchant.uid)")
        var context = context
        context.merchant = merchant
        context.logger[metadataKey: "merchant_uid"] = "\(merchant.uid)"
        // The request log keeps the body the handler reads (never the Authorization header).
        let request = try await context.recording?.capture(request) ?? request
        return try await next(request, context)
    }
}
