import Hummingbird
import Logging
import ShroffCore

/// Per-request state: the request id (`rid`) and, once authenticated, the merchant.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    public var merchant: Merchant?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = RequestID.make()
        self.merchant = nil
        self.logger[metadataKey: "rid"] = .string(requestID)
    }

    /// The authenticated merchant; routes behind `AuthenticationMiddleware` always have one.
    public func requireMerchant() throws -> Merchant {
        guard let merchant else { throw GatewayError(.unauthorized, "Authorization: a Bearer token is required") }
        return merchant
    }
}

enum RequestID {
    /// 32 lowercase hex characters.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
