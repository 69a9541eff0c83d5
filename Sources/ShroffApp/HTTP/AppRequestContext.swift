import Hummingbird
import Logging
import NIOCore
import ShroffCore

/// Per-request state: the request id (`rid`) and, once authenticated, the merchant.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    public var merchant: Merchant?
    /// What the request log learns of a merchant API call while it is answered.
    var recording: RequestRecording?
    /// The peer's address (a proxy's, when the gateway runs behind one).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = RequestID.make()
        self.merchant = nil
        self.recording = nil
        self.logger[metadataKey: "rid"] = .string(requestID)
    }

    /// The peer's IP address as text, for per-address limits ("unknown" when the transport has none).
    var peerAddress: String { remoteAddress?.ipAddress ?? "unknown" }

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
